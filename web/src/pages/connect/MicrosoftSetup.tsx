import { useEffect, useId, useRef, useState } from 'react';
import type { SetupView } from '../../../../contracts/connect.ts';
import { ApiError, apiGet, apiPost } from '../../api.ts';
import { ApiErrorNotice, Notice } from '../../components/Notice.tsx';

// "Set up Microsoft for me" (Step 3.2): instead of registering the Entra app by hand, an
// administrator signs in once to TotalOne's setup application and the server does the work. The
// panel lists each permission and why it is needed before the sign-in; back from Microsoft it shows
// each action with its result as it is done, then the record with the way to undo each change.

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STATUS = {
  done: { label: 'Done', icon: '\u2713', tone: 'passed' },
  unchanged: { label: 'Already in place', icon: '\u2713', tone: 'passed' },
  skipped: { label: 'Skipped', icon: '\u2013', tone: 'unknown' },
  failed: { label: 'Needs you', icon: '!', tone: 'failed' },
} as const;
/** The actions of a complete run, in order (a run that stops early shows fewer). */
const ACTION_COUNT = 9;

type Run = NonNullable<SetupView['lastRun']>;

/**
 * The setup's view; while a run is under way the page follows it over server-sent events, so each
 * action appears with its result as it is done (after a reload too: the run lives on the server).
 */
function useSetupView() {
  const [view, setView] = useState<SetupView | undefined>();
  const running = view?.lastRun?.status === 'running';
  useEffect(() => {
    let live = true;
    apiGet<SetupView>('/api/connect/setup', ['available', 'permissions', 'lastRun'])
      .then((v) => live && setView(v))
      .catch(() => live && setView(undefined));
    return () => {
      live = false;
    };
  }, []);
  useEffect(() => {
    if (!running) return;
    const source = new EventSource('/api/connect/setup/events');
    source.addEventListener('setup', (event) => setView(JSON.parse((event as MessageEvent<string>).data) as SetupView));
    source.addEventListener('end', () => source.close());
    return () => source.close();
  }, [running]);
  return view;
}

function ActionList({ run }: { run: Run }) {
  const running = run.status === 'running';
  return (
    // Polite: each action is read out as it appears, after what is being read.
    <ol className="checks setup-actions" aria-label="What the setup did" aria-live={running ? 'polite' : 'off'}>
      {run.actions.map((action) => {
        const status = STATUS[action.status];
        return (
          <li key={action.id} className={`check check--${status.tone} setup-action setup-action--${action.status}`}>
            <span className="check__icon" aria-hidden="true">
              {status.icon}
            </span>
            <div className="check__body">
              <p className="check__head">
                <span className="check__title">{action.title}</span>
                <span className="check__status">
                  <span className="visually-hidden">: </span>
                  {status.label}
                </span>
              </p>
              <p className="check__found">{action.detail}</p>
              {action.undo ? (
                <details>
                  <summary>How to undo this</summary>
                  <p>{action.undo}</p>
                </details>
              ) : null}
            </div>
          </li>
        );
      })}
      {running ? (
        <li className="check setup-action setup-action--working">
          <span className="check__icon loading" aria-hidden="true" />
          <div className="check__body">
            <p className="check__head">
              <span className="check__title">Working on the next action</span>
              <span className="muted">{`${run.actions.length} of ${ACTION_COUNT} done`}</span>
            </p>
          </div>
        </li>
      ) : null}
    </ol>
  );
}

/** The latest run: under way (each action as it is done), or what it did and why it stopped, with the undo steps. */
export function SetupRecord({ run, onContinue }: { run: Run; onContinue?: (() => void) | undefined }) {
  return (
    <div className="setup-record">
      {run.status === 'running' ? (
        <Notice tone="info" title="Setting up Microsoft for TotalOne…">
          <p>Each action appears below with its result as soon as it is done. You can stay on this page; if you reload it, the progress so far is shown.</p>
        </Notice>
      ) : run.status === 'completed' ? (
        <Notice tone="success" title="Microsoft is set up for TotalOne">
          <p>The app&rsquo;s secret went straight into TotalOne&rsquo;s vault; you never need to copy it. Your administrator&rsquo;s sign-in was used for this setup only and was not kept.</p>
          {onContinue ? (
            <p>
              <button type="button" className="button button--primary" onClick={onContinue}>
                Continue with the Partner Center app
              </button>
            </p>
          ) : null}
        </Notice>
      ) : run.refusal ? (
        <Notice tone="error" title={run.status === 'interrupted' ? 'The automatic setup was interrupted' : 'The automatic setup stopped'}>
          <p>{run.refusal.message}</p>
          <p>
            <strong>What to do:</strong> {run.refusal.fix}
          </p>
        </Notice>
      ) : null}
      {run.actions.length > 0 || run.status === 'running' ? <ActionList run={run} /> : null}
    </div>
  );
}

/** The last run's record, shown after the Entra step is done (the Partner Center step); open right after the setup. */
export function LastSetupRecord() {
  const view = useSetupView();
  if (!view?.lastRun || view.lastRun.status !== 'completed') return null;
  return (
    <details className="where" open={location.hash === '#setup'}>
      <summary>What &ldquo;Set up Microsoft for me&rdquo; changed in your tenant</summary>
      <SetupRecord run={view.lastRun} />
    </details>
  );
}

export function SetupPanel({ onContinue }: { onContinue: () => void }) {
  const view = useSetupView();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const run = view?.lastRun ?? undefined;
  const running = run?.status === 'running';
  // Back from Microsoft's pages (…/connect#setup), or reloaded while the setup runs: the panel,
  // below the manual form, comes into view with the run's progress, once.
  const shown = useRef(false);
  useEffect(() => {
    if (shown.current || !run || (location.hash !== '#setup' && run.status !== 'running')) return;
    shown.current = true;
    if (location.hash === '#setup') history.replaceState(null, '', location.pathname + location.search);
    headingRef.current?.focus({ preventScroll: true });
    headingRef.current?.scrollIntoView({ block: 'start' });
  }, [run]);
  const [adminAgents, setAdminAgents] = useState(false);
  const [webAppId, setWebAppId] = useState('');
  const [serviceAccount, setServiceAccount] = useState('');
  const [fixGroup, setFixGroup] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const ids = { agents: useId(), webApp: useId(), webAppHint: useId(), account: useId(), accountHint: useId(), fixGroup: useId() };
  if (!view?.available) return null;
  const trimmed = webAppId.trim();
  const badWebAppId = trimmed !== '' && !GUID.test(trimmed);
  const account = serviceAccount.trim();
  const badAccount = account !== '' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(account);

  const start = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const { authorizeUrl } = await apiPost<{ authorizeUrl: string }>('/api/connect/setup', { addToAdminAgents: adminAgents, fixServiceAccountGroup: fixGroup, ...(trimmed ? { partnerCenterWebAppId: trimmed } : {}), ...(account ? { serviceAccountUpn: account } : {}) }, ['authorizeUrl']);
      window.location.assign(authorizeUrl);
    } catch (cause) {
      setError(cause instanceof ApiError ? cause : new ApiError(0, 'UNKNOWN', 'The setup could not start. Please try again.'));
      setBusy(false);
    }
  };

  return (
    <section className="card setup-panel" aria-labelledby="setup-title">
      <h3 id="setup-title" ref={headingRef} tabIndex={-1} className="focus-target">
        Set up Microsoft for me
      </h3>
      {run ? <SetupRecord run={run} onContinue={run.status === 'completed' ? onContinue : undefined} /> : null}
      <p>
        Instead of registering the app by hand, a <strong>Global Administrator</strong> of your tenant signs in once to TotalOne&rsquo;s setup application. We then
        create (or repair) the &ldquo;Total One App&rdquo; with the permissions of the guide, grant admin consent, create its secret and keep it in our vault, and
        show you each change with how to undo it. The sign-in is used for this setup only and is never stored. Microsoft asks the administrator to consent to:
      </p>
      <ul className="setup-permissions">
        {view.permissions.map((p) => (
          <li key={p.name}>
            <span className="mono">{p.name}</span>: {p.why}
          </li>
        ))}
      </ul>
      {running ? null : (
        <div className="form">
          <label className="field" htmlFor={ids.webApp}>
            <span className="field__label">Partner Center Web App ID (optional)</span>
            <input
              id={ids.webApp}
              className="input input--guid"
              spellCheck={false}
              autoCapitalize="none"
              autoComplete="off"
              value={webAppId}
              onChange={(e) => setWebAppId(e.target.value)}
              aria-describedby={ids.webAppHint}
              aria-invalid={badWebAppId}
            />
            <span className="field__hint" id={ids.webAppHint}>
              {badWebAppId
                ? 'This is not an app ID (a GUID such as 1b2c3d4e-...). Copy it from Partner Center > Account settings > App management > Web app, or leave it empty.'
                : 'From Partner Center > Account settings > App management > Web app. With it we also register TotalOne’s reply address on that app. Partner Center’s web and native apps and their key cannot be created for you.'}
            </span>
          </label>
          <label className="field" htmlFor={ids.account}>
            <span className="field__label">Service account (optional)</span>
            <input
              id={ids.account}
              className="input"
              type="email"
              spellCheck={false}
              autoCapitalize="none"
              autoComplete="off"
              value={serviceAccount}
              onChange={(e) => setServiceAccount(e.target.value)}
              aria-describedby={ids.accountHint}
              aria-invalid={badAccount}
            />
            <span className="field__hint" id={ids.accountHint}>
              {badAccount
                ? 'Enter the service account’s user name, for example total.one@contoso.onmicrosoft.com, or leave it empty.'
                : 'For example total.one@contoso.onmicrosoft.com. We check that it exists, is a Global Administrator, is in AdminAgents and has an MFA method registered.'}
            </span>
          </label>
          <label className="checkbox" htmlFor={ids.fixGroup}>
            <input id={ids.fixGroup} type="checkbox" checked={fixGroup} onChange={(e) => setFixGroup(e.target.checked)} /> Fix it: add the service account to AdminAgents
            if it is missing there
          </label>
          <label className="checkbox" htmlFor={ids.agents}>
            <input id={ids.agents} type="checkbox" checked={adminAgents} onChange={(e) => setAdminAgents(e.target.checked)} /> Also add the app to the AdminAgents
            group (not required; older versions of the guide asked for it)
          </label>
          {error ? <ApiErrorNotice error={error} /> : null}
          <div className="form-actions">
            <button type="button" className="button button--primary" disabled={busy || badWebAppId || badAccount} onClick={start}>
              {run ? 'Run the setup again' : 'Set up Microsoft for me'}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
