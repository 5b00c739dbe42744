import { useEffect, useId, useState } from 'react';
import type { SetupView } from '../../../../contracts/connect.ts';
import { ApiError, apiGet, apiPost } from '../../api.ts';
import { ApiErrorNotice, Notice } from '../../components/Notice.tsx';

// "Set up Microsoft for me" (Step 3.2): instead of registering the Entra app by hand, an
// administrator signs in once to TotalOne's setup application and the server does the work. The
// panel lists each permission and why it is needed before the sign-in, and afterwards every action
// with its result and the way to undo it.

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STATUS_TEXT = { done: 'Done', unchanged: 'Already in place', skipped: 'Skipped', failed: 'Needs you' } as const;

function useSetupView() {
  const [view, setView] = useState<SetupView | undefined>();
  useEffect(() => {
    let live = true;
    apiGet<SetupView>('/api/connect/setup', ['available', 'permissions', 'lastRun'])
      .then((v) => live && setView(v))
      .catch(() => live && setView(undefined));
    return () => {
      live = false;
    };
  }, []);
  return view;
}

/** What the last setup did (or why it stopped), with the undo steps. */
export function SetupRecord({ run }: { run: NonNullable<SetupView['lastRun']> }) {
  return (
    <div className="setup-record">
      {run.outcome === 'refused' && run.refusal ? (
        <Notice tone="error" title="The automatic setup stopped">
          <p>{run.refusal.message}</p>
          <p>
            <strong>What to do:</strong> {run.refusal.fix}
          </p>
        </Notice>
      ) : (
        <Notice tone="success" title="Microsoft is set up for TotalOne">
          <p>The app&rsquo;s secret went straight into TotalOne&rsquo;s vault; you never need to copy it. Your administrator&rsquo;s sign-in was used for this setup only and was not kept.</p>
        </Notice>
      )}
      {run.actions.length > 0 ? (
        <ol className="setup-actions" aria-label="What the setup did">
          {run.actions.map((action) => (
            <li key={action.id} className={`setup-action setup-action--${action.status}`}>
              <strong>{action.title}</strong>: {STATUS_TEXT[action.status]}. <span>{action.detail}</span>
              {action.undo ? (
                <details>
                  <summary>How to undo this</summary>
                  <p>{action.undo}</p>
                </details>
              ) : null}
            </li>
          ))}
        </ol>
      ) : null}
    </div>
  );
}

/** The last run's record, shown after the Entra step is done (the Partner Center step). */
export function LastSetupRecord() {
  const view = useSetupView();
  if (!view?.lastRun || view.lastRun.outcome !== 'completed') return null;
  return (
    <details className="where">
      <summary>What &ldquo;Set up Microsoft for me&rdquo; changed in your tenant</summary>
      <SetupRecord run={view.lastRun} />
    </details>
  );
}

export function SetupPanel() {
  const view = useSetupView();
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
      <h3 id="setup-title">Set up Microsoft for me</h3>
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
      {view.lastRun ? <SetupRecord run={view.lastRun} /> : null}
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
            {view.lastRun ? 'Run the setup again' : 'Set up Microsoft for me'}
          </button>
        </div>
      </div>
    </section>
  );
}
