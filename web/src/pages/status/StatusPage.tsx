import './status.css';
import { useEffect, useRef, useState } from 'react';
import { asApiError, type ApiError } from '../../api.ts';
import { ApiErrorNotice, Notice } from '../../components/Notice.tsx';
import { formatDateTime } from '../../format.ts';
import { Link, usePageTitle } from '../../router.tsx';
import { credentialsApi, type CredentialLinkSent } from '../credentials/credentials-api.ts';
import { GdapSummaryView } from './GdapAccess.tsx';
import { SignOutButton } from './SignOutButton.tsx';
import { statusApi, type CheckAgainResult, type OffboardingRequested, type ReconnectLinkSent, type StatusView } from './status-api.ts';

// The partner's status page: the steps done, the customer import's live progress (server-sent
// events) and the ready state. Opened after the connection, or later from a link in an email
// (`/status#key=...`: the key becomes a cookie and leaves the address bar).

type State = { kind: 'loading' } | { kind: 'signed_out' } | { kind: 'failed'; error: ApiError } | { kind: 'ready'; view: StatusView; live: boolean };

/** A secret-expiry reminder links to the status page's "Update credentials" part. */
const wantsCredentialUpdate = () => /[#&]update-credentials\b/.test(location.hash);

function readKey(): string | undefined {
  const match = /[#&]key=([^&]+)/.exec(location.hash);
  if (!match) return undefined;
  history.replaceState(null, '', location.pathname + location.search);
  return decodeURIComponent(match[1]!);
}

export function StatusPage() {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const [focusUpdate] = useState(wantsCredentialUpdate);

  useEffect(() => {
    let source: EventSource | undefined;
    let cancelled = false;
    if (new URLSearchParams(location.search).has('signed-out')) {
      history.replaceState(null, '', location.pathname);
      setState({ kind: 'signed_out' });
      return;
    }
    const key = readKey();
    (key ? statusApi.openStatusLink(key) : statusApi.status())
      .then((view) => {
        if (cancelled) return;
        setState({ kind: 'ready', view, live: false });
        if (view.sync?.status === 'running' || view.state === 'connected' || view.state === 'syncing') {
          source = new EventSource('/api/status/events');
          source.addEventListener('status', (event) => {
            setState({ kind: 'ready', view: JSON.parse((event as MessageEvent<string>).data) as StatusView, live: true });
          });
          source.addEventListener('end', () => {
            source?.close();
            setState((current) => (current.kind === 'ready' ? { ...current, live: false } : current));
          });
        }
      })
      .catch((error: unknown) => !cancelled && setState({ kind: 'failed', error: asApiError(error) }));
    return () => {
      cancelled = true;
      source?.close();
    };
  }, []);

  usePageTitle(state.kind === 'ready' ? `Status of ${state.view.companyName}` : 'Your status');

  if (state.kind === 'loading') {
    return (
      <section className="page narrow">
        <h1>Your TotalOne status</h1>
        <p role="status" className="loading">
          Loading your status…
        </p>
      </section>
    );
  }
  if (state.kind === 'signed_out') {
    return (
      <section className="page narrow">
        <h1>You are signed out</h1>
        <Notice tone="success" title="This browser no longer shows your status or customers">
          <p>To look again, open the status link from your most recent TotalOne email.</p>
        </Notice>
      </section>
    );
  }
  if (state.kind === 'failed') {
    return (
      <section className="page narrow">
        <h1>We could not show your status</h1>
        <ApiErrorNotice error={state.error} />
        <p>
          Open the status link from your most recent TotalOne email, or use the browser in which you connected your Microsoft tenant. If that does not
          work, <Link to="/support">contact support</Link>.
        </p>
      </section>
    );
  }
  return <StatusReady view={state.view} live={state.live} focusUpdate={focusUpdate} />;
}

function StatusReady({ view, live, focusUpdate }: { view: StatusView; live: boolean; focusUpdate: boolean }) {
  const sync = view.sync;
  const ready = view.state === 'active';
  return (
    <section className="page stack--large">
      <header className="page-intro">
        <p className="eyebrow">{view.reference}</p>
        <h1>{ready ? `${view.companyName} is ready` : `Setting up ${view.companyName}`}</h1>
        <p className="lead">{view.headline}</p>
        <p>
          <SignOutButton />
        </p>
      </header>

      <div className="two-columns">
        <div className="card">
          <h2>Steps</h2>
          <div className="step-list">
            <ol aria-label="Onboarding steps">
              {view.steps.map((step, index) => (
                <li key={step.id} className={`step-list__item step-list__item--${step.status === 'done' ? 'done' : step.status === 'current' ? 'current' : 'upcoming'}`} aria-current={step.status === 'current' ? 'step' : undefined}>
                  <span className="step-list__marker" aria-hidden="true">
                    {step.status === 'done' ? '✓' : step.status === 'failed' ? '!' : index + 1}
                  </span>
                  <span className="step-list__text">
                    <span className="step-list__title">{step.label}</span>
                    <span className="step-list__summary">{stepStatusText(step.status)}</span>
                  </span>
                </li>
              ))}
            </ol>
          </div>
        </div>

        <div className="card">
          <h2>Customer import</h2>
          {sync ? <SyncProgress sync={sync} live={live} /> : <p>The import starts within a minute of the connection.</p>}
          <p className="muted">
            {view.customerCount.toLocaleString('en')} customers imported
            {view.lastSyncAt ? `, last import ${formatDateTime(view.lastSyncAt)}` : ''}.
          </p>
          {view.customerCount > 0 ? (
            <p>
              <Link to="/tenant" className="button button--secondary">
                See your customers
              </Link>
            </p>
          ) : null}
        </div>
      </div>

      {view.attention ? <Finding view={view} /> : null}
      {view.canRequestReconnect ? <Reconnect /> : null}
      {view.canUpdateCredentials ? <UpdateCredentials focus={focusUpdate} /> : null}
      {view.lastCheck && view.state !== 'registered' ? <LastCheck check={view.lastCheck} /> : null}
      <Disconnect />

      {view.gdap ? (
        <GdapSummaryView summary={view.gdap}>
          {view.gdap.cannotManage > 0 ? (
            <p>
              <Link to="/tenant?access=no_admin_access" className="button button--secondary">
                See the customers without admin access
              </Link>
            </p>
          ) : null}
        </GdapSummaryView>
      ) : null}

      {ready ? (
        <Notice tone="success" title="Your TotalOne tenant is ready">
          <p>We sent a confirmation email to your primary contact with how to sign in. Your customers are imported and kept up to date every day.</p>
        </Notice>
      ) : null}
    </section>
  );
}

/**
 * A new secret of the Partner Center web app or the Entra app (it ends soon, or it ended): a
 * one-time update link goes to the primary contact.
 */
function UpdateCredentials({ focus }: { focus: boolean }) {
  const [sending, setSending] = useState(false);
  const [sent, setSent] = useState<CredentialLinkSent>();
  const [error, setError] = useState<ApiError>();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (!focus || !heading.current) return;
    heading.current.scrollIntoView({ block: 'start' });
    heading.current.focus({ preventScroll: true });
  }, [focus]);

  async function send() {
    setSending(true);
    setError(undefined);
    try {
      setSent(await credentialsApi.requestFromStatus());
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setSending(false);
    }
  }

  return (
    <section className="card stack" id="update-credentials" aria-labelledby="update-credentials-title">
      <h2 id="update-credentials-title" ref={heading} tabIndex={-1}>
        Update credentials
      </h2>
      <p>
        Made a new Partner Center web app secret or a new client secret of the Entra app? Give it to TotalOne with a one-time link: it goes to your primary contact by
        email, and TotalOne checks the new secret with Microsoft before it replaces the old one.
      </p>
      {sent ? (
        <Notice tone="success" title="Update link sent">
          <p>
            The link is on its way to {sent.sentTo}. It works once, until {formatDateTime(sent.expiresAt)}; earlier update links no longer work.
          </p>
        </Notice>
      ) : (
        <p>
          <button type="button" className="button" onClick={() => void send()} disabled={sending}>
            {sending ? 'Sending…' : 'Email me an update link'}
          </button>
        </p>
      )}
      {error ? <ApiErrorNotice error={error} /> : null}
    </section>
  );
}

/** Disconnect from TotalOne: only the primary contact can confirm, through an emailed link. */
function Disconnect() {
  const [sending, setSending] = useState(false);
  const [sent, setSent] = useState<OffboardingRequested>();
  const [error, setError] = useState<ApiError>();

  async function send() {
    setSending(true);
    setError(undefined);
    try {
      setSent(await statusApi.requestOffboarding());
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setSending(false);
    }
  }

  return (
    <details className="card">
      <summary>Disconnect from TotalOne</summary>
      <div className="stack">
        <p>
          TotalOne stops reading your Microsoft tenant, destroys every credential you gave it and deletes your data after the retention period. Your primary contact confirms by
          email first; nothing happens before that.
        </p>
        {sent ? (
          <Notice tone="success" title="Confirmation link sent">
            <p>
              The link is on its way to {sent.sentTo} and works until {formatDateTime(sent.expiresAt)}.
            </p>
          </Notice>
        ) : (
          <p>
            <button type="button" className="button button--secondary" onClick={() => void send()} disabled={sending}>
              {sending ? 'Sending…' : 'Email the confirmation link'}
            </button>
          </p>
        )}
        {error ? <ApiErrorNotice error={error} /> : null}
      </div>
    </details>
  );
}

const checkStatusWords = { passed: 'passes', failed: 'fails', warning: 'warns', unknown: 'could not be checked' } as const;

/** The latest run of the checks of the Microsoft setup (daily) and what changed since the one before. */
function LastCheck({ check }: { check: NonNullable<StatusView['lastCheck']> }) {
  return (
    <section className="card stack" aria-labelledby="last-check-title">
      <h2 id="last-check-title">Daily check of your Microsoft setup</h2>
      <p>
        Last checked {formatDateTime(check.at)}:{' '}
        {check.allRequiredPassed ? 'every required check passes.' : `${check.failing.length} required check(s) fail: ${check.failing.join('; ')}.`}
      </p>
      {check.changed.length > 0 ? (
        <>
          <h3>Changed since the check before</h3>
          <ul>
            {check.changed.map((c) => (
              <li key={c.title}>
                {c.title}: {c.from ? `${checkStatusWords[c.from]} → ` : ''}
                {checkStatusWords[c.to]}
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p className="muted small">Nothing changed since the check before.</p>
      )}
    </section>
  );
}

/** Microsoft no longer accepts the stored sign-in, or a finding is open: the primary contact gets a reconnect link. */
function Reconnect() {
  const [sending, setSending] = useState(false);
  const [sent, setSent] = useState<ReconnectLinkSent>();
  const [error, setError] = useState<ApiError>();

  async function send() {
    setSending(true);
    setError(undefined);
    try {
      setSent(await statusApi.requestReconnectLink());
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setSending(false);
    }
  }

  return (
    <section className="card stack" aria-labelledby="reconnect-title">
      <h2 id="reconnect-title">Reconnect to Microsoft</h2>
      <p>
        Sign in to Microsoft again with the service account (or another one, if that is the fix): your apps and the customers imported so far are kept, and the
        import continues after the sign-in. The link goes to your primary contact by email.
      </p>
      {sent ? (
        <Notice tone="success" title="Reconnect link sent">
          <p>
            The link is on its way to {sent.sentTo}. It works once, until {formatDateTime(sent.expiresAt)}; earlier links no longer work.
          </p>
        </Notice>
      ) : (
        <p>
          <button type="button" className="button" onClick={() => void send()} disabled={sending}>
            {sending ? 'Sending…' : 'Send me a reconnect link'}
          </button>
        </p>
      )}
      {error ? <ApiErrorNotice error={error} /> : null}
    </section>
  );
}

/** What Microsoft refused, the exact fix, and "Check again" once it is done. */
function Finding({ view }: { view: StatusView }) {
  const finding = view.attention!;
  const [checking, setChecking] = useState(false);
  const [result, setResult] = useState<CheckAgainResult>();
  const [error, setError] = useState<ApiError>();

  async function checkAgain() {
    setChecking(true);
    setError(undefined);
    try {
      const answer = await statusApi.checkAgain();
      setResult(answer);
      if (answer.fixed) setTimeout(() => location.reload(), 1500);
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setChecking(false);
    }
  }

  return (
    <section className="card stack" aria-labelledby="finding-title">
      <h2 id="finding-title">What needs fixing in Microsoft</h2>
      <p>{finding.message}</p>
      <h3>How to fix it</h3>
      <p>{finding.fix}</p>
      {finding.afterFix ? <p>{finding.afterFix}</p> : null}
      <p className="muted small">
        Microsoft’s code: {finding.code}. Found {formatDateTime(finding.openedAt)}, last checked {formatDateTime(finding.lastCheckedAt)}. Your customers imported so far stay
        in your tenant view.
      </p>
      {view.canCheckAgain ? (
        <p>
          <button type="button" className="button" onClick={() => void checkAgain()} disabled={checking}>
            {checking ? 'Checking…' : 'Check again'}
          </button>
        </p>
      ) : null}
      {result ? (
        <Notice tone={result.fixed ? 'success' : 'warning'} title={result.fixed ? 'Fixed' : 'Not fixed yet'}>
          <p>{result.message}</p>
        </Notice>
      ) : null}
      {error ? <ApiErrorNotice error={error} /> : null}
    </section>
  );
}

function stepStatusText(status: 'done' | 'current' | 'pending' | 'failed'): string {
  return { done: 'Done', current: 'In progress', pending: 'Not started yet', failed: 'Needs your attention' }[status];
}

function SyncProgress({ sync, live }: { sync: NonNullable<StatusView['sync']>; live: boolean }) {
  const count = sync.customersImported.toLocaleString('en');
  const total = sync.total !== null ? sync.total.toLocaleString('en') : undefined;
  return (
    <div className="stack">
      <p role="status" aria-live="polite">
        {sync.status === 'completed'
          ? `Import complete: ${count} customers.`
          : sync.status === 'failed'
            ? `The import stopped after ${count} customers.`
            : total
              ? `${count} of ${total} customers imported`
              : `${count} customers imported so far`}
        {sync.status === 'running' && sync.ratePerSecond ? ` · ${Math.round(sync.ratePerSecond).toLocaleString('en')} per second` : ''}
        {sync.status === 'running' && sync.secondsLeft !== null ? ` · about ${formatDuration(sync.secondsLeft)} left` : ''}
      </p>
      {sync.percent !== null ? (
        <progress className="progress" max={100} value={sync.percent} aria-label="Import progress">
          {sync.percent}%
        </progress>
      ) : null}
      {sync.status === 'running' && live ? <p className="muted">Updating live.</p> : null}
      {sync.error ? (
        <Notice tone={sync.error.retrying ? 'warning' : 'error'} title={sync.error.retrying ? 'A hiccup, we are retrying' : 'The import needs your help'}>
          <p>{sync.error.message}</p>
        </Notice>
      ) : null}
    </div>
  );
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, seconds)} seconds`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} minute${minutes === 1 ? '' : 's'}` : `${Math.round(minutes / 60)} hours`;
}
