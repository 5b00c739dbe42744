import { useState, type FormEvent } from 'react';
import { Link } from '../router.tsx';
import { consoleApi } from './consoleApi.ts';
import { useConsoleTitle } from './session.ts';
import { partnerStates, stateLabel } from './labels.ts';
import { LoadedView, Pager, StateBadge, When, useLoad } from './ui.tsx';
import { DataTable } from './DataTable.tsx';

// /console/partners: search (company, email, domain, MPN ID), filter by state, sort, paging. The
// query lives in the address (?q=&state=&sort=&order=&offset=), so back from a partner returns here.

const PAGE_SIZE = 25;
const sorts = [
  { value: 'created_at:desc', label: 'Newest signups first' },
  { value: 'created_at:asc', label: 'Oldest signups first' },
  { value: 'updated_at:desc', label: 'Recently changed first' },
  { value: 'company:asc', label: 'Company A–Z' },
  { value: 'company:desc', label: 'Company Z–A' },
  { value: 'state:asc', label: 'State' },
] as const;

interface ListQuery {
  q: string;
  state: string;
  sort: string;
  offset: number;
}

function readQuery(): ListQuery {
  const params = new URLSearchParams(location.search);
  const state = params.get('state') ?? '';
  const sort = params.get('sort') ?? sorts[0].value;
  return {
    q: params.get('q') ?? '',
    state: (partnerStates as readonly string[]).includes(state) ? state : '',
    sort: sorts.some((s) => s.value === sort) ? sort : sorts[0].value,
    offset: Math.max(0, Number(params.get('offset')) || 0),
  };
}

function writeQuery(query: ListQuery) {
  const params = new URLSearchParams();
  if (query.q) params.set('q', query.q);
  if (query.state) params.set('state', query.state);
  if (query.sort !== sorts[0].value) params.set('sort', query.sort);
  if (query.offset) params.set('offset', String(query.offset));
  const search = params.toString();
  history.replaceState(history.state, '', `/console/partners${search ? `?${search}` : ''}`);
}

export function PartnersPage() {
  useConsoleTitle('Signups');
  const [query, setQuery] = useState(readQuery);
  const [draft, setDraft] = useState({ q: query.q, state: query.state, sort: query.sort });
  const [sort, order] = query.sort.split(':') as [string, string];
  const loaded = useLoad(
    () => consoleApi.partners({ q: query.q || undefined, state: query.state || undefined, sort, order, limit: PAGE_SIZE, offset: query.offset }),
    JSON.stringify(query),
  );

  function apply(next: ListQuery) {
    setQuery(next);
    writeQuery(next);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    apply({ ...draft, q: draft.q.trim(), offset: 0 });
  }

  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <h1>Signups</h1>
          <p className="muted">Every partner who signed up, newest first. Open one to see its timeline and act on it.</p>
        </div>
      </div>
      <form className="filter-bar" role="search" aria-label="Search signups" onSubmit={submit}>
        <div className="filter-bar__field filter-bar__field--wide">
          <label htmlFor="partners-q">Search</label>
          <input id="partners-q" className="input" type="search" value={draft.q} onChange={(e) => setDraft({ ...draft, q: e.target.value })} aria-describedby="partners-q-hint" spellCheck={false} />
          <p id="partners-q-hint" className="field__hint">
            Company, email, Entra domain, MPN ID or reference
          </p>
        </div>
        <div className="filter-bar__field">
          <label htmlFor="partners-state">State</label>
          <select id="partners-state" className="input input--select" value={draft.state} onChange={(e) => setDraft({ ...draft, state: e.target.value })}>
            <option value="">All states</option>
            {partnerStates.map((s) => (
              <option key={s} value={s}>
                {stateLabel(s)}
              </option>
            ))}
          </select>
        </div>
        <div className="filter-bar__field">
          <label htmlFor="partners-sort">Sort</label>
          <select id="partners-sort" className="input input--select" value={draft.sort} onChange={(e) => setDraft({ ...draft, sort: e.target.value })}>
            {sorts.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <div className="filter-bar__actions">
          <button type="submit" className="button button--primary">
            Search
          </button>
          {query.q || query.state || query.sort !== sorts[0].value ? (
            <button
              type="button"
              className="button button--ghost"
              onClick={() => {
                setDraft({ q: '', state: '', sort: sorts[0].value });
                apply({ q: '', state: '', sort: sorts[0].value, offset: 0 });
              }}
            >
              Clear
            </button>
          ) : null}
        </div>
      </form>

      <LoadedView loaded={loaded} what="the signups">
        {(list) => (
          <section aria-labelledby="partners-results" aria-busy={loaded.loading}>
            <h2 id="partners-results" className="results-title">
              {list.total === 0 ? 'No signups match' : `${list.total} signup${list.total === 1 ? '' : 's'}`}
              {query.state ? ` in state “${stateLabel(query.state)}”` : ''}
              {query.q ? ` for “${query.q}”` : ''}
            </h2>
            {list.items.length > 0 ? (
              <DataTable
                label="Signups"
                caption="Signups"
                rows={list.items}
                rowKey={(p) => p.id}
                columns={[
                  {
                    header: 'Company',
                    rowHeader: true,
                    cell: (p) => (
                      <>
                        <Link to={`/console/partners/${p.id}`}>{p.companyName}</Link>
                        <span className="cell-sub">
                          {p.reference} · {p.country}
                        </span>
                      </>
                    ),
                  },
                  { header: 'State', cell: (p) => <StateBadge state={p.state} /> },
                  {
                    header: 'Primary contact',
                    cell: (p) => (
                      <>
                        {p.primaryContact.name}
                        <span className="cell-sub">{p.primaryContact.email}</span>
                      </>
                    ),
                  },
                  { header: 'Entra domain', cellClassName: 'mono', cell: (p) => p.entraDomain },
                  { header: 'MPN ID', cellClassName: 'mono', cell: (p) => p.mpnId },
                  { header: 'Signed up', cell: (p) => <When iso={p.createdAt} /> },
                ]}
              />
            ) : (
              <p className="muted">Try another search or state.</p>
            )}
            <Pager label="Signups" total={list.total} limit={list.limit} offset={list.offset} onChange={(offset) => apply({ ...query, offset })} />
          </section>
        )}
      </LoadedView>
    </div>
  );
}
