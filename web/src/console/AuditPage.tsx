import { useState, type FormEvent } from 'react';
import { ApiError } from '../api.ts';
import { Link } from '../router.tsx';
import { consoleApi } from './consoleApi.ts';
import { auditActionLabel } from './labels.ts';
import { useConsoleSession, useConsoleTitle } from './session.ts';
import { Details, LoadedView, When, useLoad } from './ui.tsx';
import { DataTable } from './DataTable.tsx';

// /console/audit: the append-only audit log, newest first. Filters: action (exact, or a prefix with a
// trailing `.` or `*`), partner ID, actor (operator ID or label), actor type, date range. Paging is
// by cursor: "Older events" follows nextCursor, "Newest" starts over.

const PAGE_SIZE = 50;

interface Filters {
  action: string;
  partnerId: string;
  actorId: string;
  actorType: string;
  from: string;
  to: string;
}

const empty: Filters = { action: '', partnerId: '', actorId: '', actorType: '', from: '', to: '' };

function readFilters(): Filters {
  const params = new URLSearchParams(location.search);
  return Object.fromEntries(Object.keys(empty).map((key) => [key, params.get(key) ?? ''])) as unknown as Filters;
}

/** A date field's day as the start (or end) of that day in the operator's time zone. */
function dayBoundary(day: string, end: boolean): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const date = new Date(`${day}T00:00:00`);
  if (end) date.setDate(date.getDate() + 1);
  return date.toISOString();
}

/**
 * The API filters by actor ID; an operator types an email. Administrators can look the email up
 * in the operator list; anyone else gets the ID asked for.
 */
async function actorIdFor(actor: string, isAdmin: boolean): Promise<string | undefined> {
  if (!actor.includes('@')) return actor || undefined;
  if (!isAdmin) throw new ApiError(400, 'ACTOR_EMAIL', 'Searching by an operator’s email needs the admin role; enter the operator ID instead.');
  const { items } = await consoleApi.operators();
  const found = items.find((o) => o.email.toLowerCase() === actor.toLowerCase());
  if (!found) throw new ApiError(404, 'OPERATOR_NOT_FOUND', `There is no operator ${actor}.`);
  return found.id;
}

export function AuditPage() {
  useConsoleTitle('Audit log');
  const { session } = useConsoleSession();
  const isAdmin = session.operator.role === 'admin';
  const [filters, setFilters] = useState<Filters>(readFilters);
  const [draft, setDraft] = useState<Filters>(filters);
  const [cursors, setCursors] = useState<number[]>([]);
  const before = cursors.at(-1);
  const loaded = useLoad(
    async () =>
      consoleApi.auditEvents({
        action: filters.action || undefined,
        partnerId: filters.partnerId || undefined,
        actorId: await actorIdFor(filters.actorId, isAdmin),
        actorType: filters.actorType || undefined,
        from: dayBoundary(filters.from, false),
        to: dayBoundary(filters.to, true),
        before,
        limit: PAGE_SIZE,
      }),
    `${JSON.stringify(filters)}|${before ?? ''}`,
  );

  function submit(event: FormEvent) {
    event.preventDefault();
    const next = Object.fromEntries(Object.entries(draft).map(([k, v]) => [k, v.trim()])) as unknown as Filters;
    setFilters(next);
    setCursors([]);
    const params = new URLSearchParams(Object.entries(next).filter(([, v]) => v));
    const search = params.toString();
    history.replaceState(history.state, '', `/console/audit${search ? `?${search}` : ''}`);
  }

  const set = (key: keyof Filters) => (event: { target: { value: string } }) => setDraft({ ...draft, [key]: event.target.value });

  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <h1>Audit log</h1>
          <p className="muted">Every operator action and security event, and the partners’ steps. Entries cannot be changed or deleted.</p>
        </div>
      </div>
      <form className="filter-bar filter-bar--grid" role="search" aria-label="Search the audit log" onSubmit={submit}>
        <div className="filter-bar__field">
          <label htmlFor="audit-action">Action</label>
          <input id="audit-action" className="input" value={draft.action} onChange={set('action')} aria-describedby="audit-action-hint" spellCheck={false} autoCapitalize="none" />
          <p id="audit-action-hint" className="field__hint">
            e.g. <code>console.signup_link_issued</code>, or a prefix: <code>operator.</code>, <code>signup_link.*</code>
          </p>
        </div>
        <div className="filter-bar__field">
          <label htmlFor="audit-partner">Partner ID</label>
          <input id="audit-partner" className="input" value={draft.partnerId} onChange={set('partnerId')} spellCheck={false} aria-describedby="audit-partner-hint" />
          <p id="audit-partner-hint" className="field__hint">
            The signup’s ID from its console address
          </p>
        </div>
        <div className="filter-bar__field">
          <label htmlFor="audit-actor">Actor</label>
          <input id="audit-actor" className="input" value={draft.actorId} onChange={set('actorId')} spellCheck={false} aria-describedby="audit-actor-hint" />
          <p id="audit-actor-hint" className="field__hint">
            {isAdmin ? 'Operator email or ID, or a system label' : 'Operator ID, or a system label'}
          </p>
        </div>
        <div className="filter-bar__field">
          <label htmlFor="audit-actor-type">Actor type</label>
          <select id="audit-actor-type" className="input input--select" value={draft.actorType} onChange={set('actorType')}>
            <option value="">Any</option>
            <option value="operator">Operator</option>
            <option value="partner">Partner</option>
            <option value="system">System</option>
            <option value="anonymous">Anonymous</option>
          </select>
        </div>
        <div className="filter-bar__field">
          <label htmlFor="audit-from">From (day)</label>
          <input id="audit-from" className="input" type="date" value={draft.from} onChange={set('from')} />
        </div>
        <div className="filter-bar__field">
          <label htmlFor="audit-to">To (day, inclusive)</label>
          <input id="audit-to" className="input" type="date" value={draft.to} onChange={set('to')} />
        </div>
        <div className="filter-bar__actions">
          <button type="submit" className="button button--primary">
            Search
          </button>
          <button
            type="button"
            className="button button--ghost"
            onClick={() => {
              setDraft(empty);
              setFilters(empty);
              setCursors([]);
              history.replaceState(history.state, '', '/console/audit');
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <LoadedView loaded={loaded} what="the audit log">
        {(page) => (
          <section aria-labelledby="audit-results" aria-busy={loaded.loading}>
            <h2 id="audit-results" className="results-title">
              {page.items.length === 0 ? 'No events match' : cursors.length === 0 ? 'Newest events' : `Older events (page ${cursors.length + 1})`}
            </h2>
            {page.items.length > 0 ? (
              <DataTable
                label="Audit events"
                caption="Audit events, newest first"
                compact
                rows={page.items}
                rowKey={(item) => item.id}
                columns={[
                  { header: 'When', cellClassName: 'nowrap', cell: (item) => <When iso={item.occurredAt} /> },
                  {
                    header: 'Action',
                    rowHeader: true,
                    cell: (item) => (
                      <>
                        {auditActionLabel(item.action)}
                        <span className="cell-sub">
                          <code>{item.action}</code>
                        </span>
                      </>
                    ),
                  },
                  {
                    header: 'Actor',
                    cell: (item) => (
                      <>
                        {item.actor ?? '—'}
                        <span className="cell-sub">{item.actorType}</span>
                      </>
                    ),
                  },
                  { header: 'Partner', cell: (item) => (item.partner ? <Link to={`/console/partners/${item.partner.id}`}>{item.partner.companyName}</Link> : <span className="muted">—</span>) },
                  { header: 'Details', cell: (item) => <Details details={item.details} /> },
                ]}
              />
            ) : null}
            <nav className="pager" aria-label="Audit log pages">
              <div className="pager__buttons">
                <button type="button" className="button button--secondary button--small" disabled={cursors.length === 0} onClick={() => setCursors([])}>
                  Newest
                </button>
                <button type="button" className="button button--secondary button--small" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
                  Newer
                </button>
                <button type="button" className="button button--secondary button--small" disabled={page.nextCursor === null} onClick={() => page.nextCursor !== null && setCursors([...cursors, page.nextCursor])}>
                  Older events
                </button>
              </div>
            </nav>
          </section>
        )}
      </LoadedView>
    </div>
  );
}
