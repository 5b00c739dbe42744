import './status.css';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { asApiError, type ApiError } from '../../api.ts';
import { ApiErrorNotice } from '../../components/Notice.tsx';
import { formatDateTime } from '../../format.ts';
import { Link, usePageTitle } from '../../router.tsx';
import { GdapCell } from './GdapAccess.tsx';
import { SignOutButton } from './SignOutButton.tsx';
import { statusApi, type CustomerList, type TenantSummary } from './status-api.ts';

// The partner's first tenant view: the imported customers, searchable by name or domain, sorted,
// paged with a cursor (fast at 100,000 customers).

type Sort = 'name' | 'domain';
type Order = 'asc' | 'desc';
type Access = 'all' | 'no_admin_access';

export function TenantPage() {
  usePageTitle('Your customers');
  const [summary, setSummary] = useState<TenantSummary>();
  const [query, setQuery] = useState<{ search: string; sort: Sort; order: Order; access: Access }>({
    search: '',
    sort: 'name',
    order: 'asc',
    access: new URLSearchParams(location.search).get('access') === 'no_admin_access' ? 'no_admin_access' : 'all',
  });
  const [pages, setPages] = useState<string[]>([]); // cursors of the pages before this one
  const [cursor, setCursor] = useState<string | undefined>();
  const [list, setList] = useState<CustomerList>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(true);
  const searchRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    statusApi.summary().then(setSummary, (e: unknown) => setError(asApiError(e)));
  }, []);

  useEffect(() => {
    let cancelled = false;
    setLoading(true);
    statusApi
      .customers({ ...(query.search ? { search: query.search } : {}), sort: query.sort, order: query.order, access: query.access, ...(cursor ? { cursor } : {}) })
      .then(
        (result) => !cancelled && (setList(result), setError(undefined)),
        (e: unknown) => !cancelled && setError(asApiError(e)),
      )
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, [query, cursor]);

  function search(event: FormEvent) {
    event.preventDefault();
    setPages([]);
    setCursor(undefined);
    setQuery((q) => ({ ...q, search: searchRef.current?.value.trim() ?? '' }));
  }

  function sortBy(sort: Sort) {
    setPages([]);
    setCursor(undefined);
    setQuery((q) => ({ ...q, sort, order: q.sort === sort && q.order === 'asc' ? 'desc' : 'asc' }));
  }

  function showAccess(access: Access) {
    setPages([]);
    setCursor(undefined);
    setQuery((q) => ({ ...q, access }));
  }

  const ariaSort = (column: Sort) => (query.sort === column ? (query.order === 'asc' ? 'ascending' : 'descending') : 'none');

  return (
    <section className="page stack--large">
      <header className="page-intro">
        <h1>Your customers</h1>
        <p className="lead">
          {summary
            ? `${summary.customerCount.toLocaleString('en')} customers imported from Partner Center${summary.lastSyncAt ? `, last import ${formatDateTime(summary.lastSyncAt)}` : ''}.`
            : 'The customers imported from your Partner Center.'}{' '}
          <Link to="/status">Back to your status</Link>
        </p>
        <p>
          <SignOutButton />
        </p>
      </header>

      <form className="form card" role="search" aria-label="Search customers" onSubmit={search}>
        <div className="field">
          <label className="field__label" htmlFor="customer-search">
            Search by company name or domain
          </label>
          <div className="input-group">
            <input id="customer-search" ref={searchRef} className="input" type="search" maxLength={100} defaultValue={query.search} />
            <button type="submit" className="button button--primary input-group__button">
              Search
            </button>
          </div>
        </div>
        <div className="field">
          <label className="field__label" htmlFor="customer-access">
            Show
          </label>
          <select id="customer-access" className="input" value={query.access} onChange={(event) => showAccess(event.target.value as Access)}>
            <option value="all">All customers</option>
            <option value="no_admin_access">Only customers without admin access (GDAP)</option>
          </select>
        </div>
      </form>

      {error ? <ApiErrorNotice error={error} /> : null}

      <div className="card">
        <p role="status" className="muted">
          {loading ? 'Loading customers…' : list ? `${list.items.length} customer${list.items.length === 1 ? '' : 's'}${query.access === 'no_admin_access' ? ' without admin access' : ''} on this page${query.search ? ` matching “${query.search}”` : ''}.` : ''}
        </p>
        <div className="table-scroll" role="region" aria-label="Customers (table)" tabIndex={0}>
          <table className="data-table">
            <caption className="visually-hidden">Imported customers, sorted by {query.sort}</caption>
            <thead>
              <tr>
                <th scope="col" aria-sort={ariaSort('name')}>
                  <button type="button" className="sort-button" onClick={() => sortBy('name')}>
                    Company {query.sort === 'name' ? (query.order === 'asc' ? '▲' : '▼') : ''}
                  </button>
                </th>
                <th scope="col" aria-sort={ariaSort('domain')}>
                  <button type="button" className="sort-button" onClick={() => sortBy('domain')}>
                    Domain {query.sort === 'domain' ? (query.order === 'asc' ? '▲' : '▼') : ''}
                  </button>
                </th>
                <th scope="col">Tenant ID</th>
                <th scope="col">Admin access (GDAP)</th>
                <th scope="col">First imported</th>
              </tr>
            </thead>
            <tbody>
              {list?.items.map((customer) => (
                <tr key={customer.id}>
                  <td>{customer.companyName}</td>
                  <td className="mono">{customer.domain}</td>
                  <td className="mono">{customer.tenantId ?? '—'}</td>
                  <td>
                    <GdapCell gdap={customer.gdap} />
                  </td>
                  <td>{formatDateTime(customer.firstSeenAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div className="button-row">
          <button
            type="button"
            className="button button--secondary"
            disabled={pages.length === 0 || loading}
            onClick={() => {
              const previous = [...pages];
              const back = previous.pop();
              setPages(previous);
              setCursor(back || undefined);
            }}
          >
            Previous page
          </button>
          <button
            type="button"
            className="button button--secondary"
            disabled={!list?.nextCursor || loading}
            onClick={() => {
              setPages((p) => [...p, cursor ?? '']);
              setCursor(list?.nextCursor ?? undefined);
            }}
          >
            Next page
          </button>
        </div>
      </div>
    </section>
  );
}
