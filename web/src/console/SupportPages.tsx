import { zodResolver } from '@hookform/resolvers/zod';
import { useRef, useState, type FormEvent } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { asApiError, type ApiError } from '../api.ts';
import { TextArea } from '../components/form.tsx';
import { Notice } from '../components/Notice.tsx';
import { Link } from '../router.tsx';
import { consoleApi, type SupportDetail } from './consoleApi.ts';
import { useConsoleTitle } from './session.ts';
import { ApiErrorNotice, LoadedView, Pager, StateBadge, StatusText, When, useLoad } from './ui.tsx';

// /console/support: the inbox of the contact form (open or handled), and /console/support/:id: the
// message, the partner it belongs to (when known), replies by email, handled or open again.

const PAGE_SIZE = 25;
type Filter = 'open' | 'handled' | 'all';

export function SupportInboxPage() {
  useConsoleTitle('Support inbox');
  const initial = new URLSearchParams(location.search);
  const [filter, setFilter] = useState<Filter>(() => (['open', 'handled', 'all'].includes(initial.get('status') ?? '') ? (initial.get('status') as Filter) : 'open'));
  const [q, setQ] = useState(initial.get('q') ?? '');
  const [draft, setDraft] = useState(q);
  const [offset, setOffset] = useState(0);
  const loaded = useLoad(() => consoleApi.supportRequests({ status: filter === 'all' ? undefined : filter, q: q || undefined, limit: PAGE_SIZE, offset }), `${filter}|${q}|${offset}`);

  function remember(nextFilter: Filter, nextQ: string) {
    const params = new URLSearchParams();
    if (nextFilter !== 'open') params.set('status', nextFilter);
    if (nextQ) params.set('q', nextQ);
    const search = params.toString();
    history.replaceState(history.state, '', `/console/support${search ? `?${search}` : ''}`);
  }

  function choose(next: Filter) {
    setFilter(next);
    setOffset(0);
    remember(next, q);
  }

  function search(event: FormEvent) {
    event.preventDefault();
    setQ(draft.trim());
    setOffset(0);
    remember(filter, draft.trim());
  }

  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <h1>Support inbox</h1>
          <p className="muted">Messages from the contact form. Answer by email from here; the reply is recorded with your name.</p>
        </div>
        <div className="segmented" role="group" aria-label="Show">
          {(['open', 'handled', 'all'] as const).map((f) => (
            <button key={f} type="button" className="segmented__option" aria-pressed={filter === f} onClick={() => choose(f)}>
              {f === 'open' ? 'Open' : f === 'handled' ? 'Handled' : 'All'}
            </button>
          ))}
        </div>
      </div>
      <form className="filter-bar" role="search" aria-label="Search support requests" onSubmit={search}>
        <div className="filter-bar__field filter-bar__field--wide">
          <label htmlFor="support-q">Search</label>
          <input id="support-q" className="input" type="search" value={draft} onChange={(e) => setDraft(e.target.value)} aria-describedby="support-q-hint" spellCheck={false} />
          <p id="support-q-hint" className="field__hint">
            Support reference, name, email or words from the message
          </p>
        </div>
        <div className="filter-bar__actions">
          <button type="submit" className="button button--primary">
            Search
          </button>
        </div>
      </form>
      <LoadedView loaded={loaded} what="the support requests">
        {(list) => (
          <section aria-labelledby="support-results" aria-busy={loaded.loading}>
            <h2 id="support-results" className="results-title">
              {list.total === 0 ? `No ${filter === 'all' ? '' : `${filter} `}requests` : `${list.total} ${filter === 'all' ? '' : `${filter} `}request${list.total === 1 ? '' : 's'}`}
              {q ? ` for “${q}”` : ''}
            </h2>
            {list.items.length > 0 ? (
              <ul className="inbox">
                {list.items.map((item) => (
                  <li key={item.id} className="inbox__item">
                    <div className="inbox__head">
                      <Link to={`/console/support/${item.id}`} className="inbox__link">
                        {item.reference} · {item.name}
                      </Link>
                      <StatusText status={item.status} tone={item.status === 'open' ? 'attention' : 'good'} />
                    </div>
                    <p className="inbox__excerpt">{excerpt(item.message)}</p>
                    <p className="inbox__meta">
                      <When iso={item.createdAt} /> · {item.email}
                      {item.partner ? ` · ${item.partner.companyName}` : ' · no signup linked'}
                    </p>
                  </li>
                ))}
              </ul>
            ) : filter === 'open' && !q ? (
              <p className="muted">The inbox is empty. Nothing is waiting for an answer.</p>
            ) : null}
            <Pager label="Support requests" total={list.total} limit={list.limit} offset={list.offset} onChange={setOffset} />
          </section>
        )}
      </LoadedView>
    </div>
  );
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 180 ? `${flat.slice(0, 177)}…` : flat;
}

export function SupportRequestPage({ id }: { id?: string }) {
  const requestId = id ?? '';
  const loaded = useLoad(() => consoleApi.supportRequest(requestId), requestId);
  return (
    <LoadedView loaded={loaded} what="the support request">
      {(request) => <SupportRequestView initial={request} />}
    </LoadedView>
  );
}

const replyForm = z.object({ message: z.string().trim().min(2, { error: 'Write a reply of at least 2 characters.' }).max(5000, { error: 'A reply can be at most 5000 characters.' }) });

function SupportRequestView({ initial }: { initial: SupportDetail }) {
  useConsoleTitle(`Support request ${initial.reference}`);
  const [request, setRequest] = useState(initial);
  const [markHandled, setMarkHandled] = useState(initial.status === 'open');
  const [outcome, setOutcome] = useState<string>();
  const [statusError, setStatusError] = useState<ApiError>();
  const [replyError, setReplyError] = useState<ApiError>();
  const [changing, setChanging] = useState(false);
  const outcomeRef = useRef<HTMLDivElement>(null);
  const {
    register,
    handleSubmit,
    reset,
    formState: { errors, isSubmitting },
  } = useForm<z.input<typeof replyForm>, unknown, z.output<typeof replyForm>>({ resolver: zodResolver(replyForm), defaultValues: { message: '' } });

  function show(message: string) {
    setOutcome(message);
    window.setTimeout(() => outcomeRef.current?.focus(), 30);
  }

  async function reply(data: { message: string }) {
    setReplyError(undefined);
    try {
      const updated = await consoleApi.replySupport(request.id, data.message, request.status === 'open' ? markHandled : false);
      setRequest(updated);
      reset({ message: '' }, { keepFieldsRef: true }); // what is typed at once is kept (see ReasonDialog)
      show(`Your reply is on its way to ${updated.email}${updated.status === 'handled' ? ' and the request is marked handled' : ''}.`);
    } catch (error) {
      setReplyError(asApiError(error));
    }
  }

  async function setStatus(status: 'open' | 'handled') {
    setChanging(true);
    setStatusError(undefined);
    try {
      const updated = await consoleApi.setSupportStatus(request.id, status);
      setRequest(updated);
      setMarkHandled(updated.status === 'open');
      show(status === 'handled' ? 'The request is marked handled.' : 'The request is open again.');
    } catch (error) {
      setStatusError(asApiError(error));
    } finally {
      setChanging(false);
    }
  }

  return (
    <div className="stack">
      <p className="breadcrumb">
        <Link to="/console/support">← Support inbox</Link>
      </p>
      <div className="page-head">
        <div>
          <p className="eyebrow">Support request</p>
          <h1>
            {request.reference} · {request.name}
          </h1>
          <p className="page-head__meta">
            <StatusText status={request.status} tone={request.status === 'open' ? 'attention' : 'good'} /> <span className="muted">
              received <When iso={request.createdAt} />
            </span>
          </p>
        </div>
        <div>
          <button type="button" className="button button--secondary" disabled={changing} onClick={() => setStatus(request.status === 'open' ? 'handled' : 'open')}>
            {request.status === 'open' ? 'Mark handled' : 'Reopen'}
          </button>
        </div>
      </div>
      {statusError ? <ApiErrorNotice error={statusError} /> : null}
      {outcome ? (
        <div ref={outcomeRef} tabIndex={-1} className="focus-target">
          <Notice tone="success" title="Done">
            <p>{outcome}</p>
          </Notice>
        </div>
      ) : null}

      <div className="detail-grid">
        <div className="detail-grid__main stack">
          <section className="card" aria-labelledby="message-title">
            <h2 id="message-title">Message</h2>
            <p className="message-meta">
              From <strong>{request.name}</strong> &lt;<a href={`mailto:${request.email}`}>{request.email}</a>&gt;
            </p>
            <blockquote className="message">{request.message}</blockquote>
          </section>

          {request.replies.length > 0 ? (
            <section className="card" aria-labelledby="replies-title">
              <h2 id="replies-title">Replies</h2>
              <ol className="replies">
                {request.replies.map((r) => (
                  <li key={r.id} className="replies__item">
                    <p className="replies__meta">
                      {r.operator ?? 'An operator'} · <When iso={r.createdAt} />
                      {r.emailStatus ? (
                        <>
                          {' · email '}
                          <StatusText status={r.emailStatus} />
                        </>
                      ) : null}
                    </p>
                    <p className="replies__text">{r.message}</p>
                  </li>
                ))}
              </ol>
            </section>
          ) : null}

          <form className="card form" noValidate onSubmit={handleSubmit(reply)} aria-labelledby="reply-title">
            <h2 id="reply-title">Reply by email</h2>
            <p className="muted">
              Goes to {request.email} with the subject “Re: your request {request.reference}” and their original message quoted. Never ask for or send passwords or secrets.
            </p>
            {replyError ? <ApiErrorNotice error={replyError} /> : null}
            <TextArea id="support-reply" label="Your reply" rows={7} registration={register('message')} error={errors.message?.message} />
            {request.status === 'open' ? (
              <label className="console-check">
                <input type="checkbox" checked={markHandled} onChange={(e) => setMarkHandled(e.target.checked)} /> Mark the request handled when the reply is sent
              </label>
            ) : (
              <p className="muted small">The request is handled; it stays handled when you reply.</p>
            )}
            <div className="form-actions">
              <button type="submit" className="button button--primary" disabled={isSubmitting}>
                {isSubmitting ? 'Sending…' : 'Send reply'}
              </button>
            </div>
          </form>
        </div>
        <aside className="detail-grid__side stack" aria-label="Linked signup">
          <section className="card" aria-labelledby="linked-title">
            <h2 id="linked-title">Signup</h2>
            {request.partner ? (
              <>
                <p>
                  <Link to={`/console/partners/${request.partner.id}`}>{request.partner.companyName}</Link>
                </p>
                <p>
                  <StateBadge state={request.partner.state} /> <span className="mono">{request.partner.reference}</span>
                </p>
              </>
            ) : (
              <p className="muted">
                No signup is linked{request.signupReference ? ` (the sender gave the reference ${request.signupReference}, which matches none)` : ''}. Search the <Link to={`/console/partners?q=${encodeURIComponent(request.email)}`}>signups by this email</Link>.
              </p>
            )}
          </section>
        </aside>
      </div>
    </div>
  );
}
