import { useEffect, useRef, useState } from 'react';
import type { PreflightCheckView } from '../../../../contracts/connect.ts';
import { api, asApiError, type ApiError, type ConnectState } from '../../api.ts';
import { ApiErrorNotice, Notice } from '../../components/Notice.tsx';
import { formatDateTime } from '../../format.ts';
import { AcceptedEntraApp, AcceptedPartnerCenterApp } from './Accepted.tsx';
import { SignInFailure, SignInStartProblem, UnfinishedSignIn } from './SignInStep.tsx';
import { BusyStatus, StepHeading, useMicrosoftSignIn, type WizardActions } from './wizard.tsx';

// Step 3.5: every check of the tenant, with what was found and how to fix it. A failed check can be
// run again after the partner fixed it in Microsoft; the connection is completed once every
// required check passed.

type Status = PreflightCheckView['status'];

const statusText: Record<Status, { label: string; icon: string }> = {
  passed: { label: 'Passed', icon: '✓' },
  failed: { label: 'Failed', icon: '✗' },
  warning: { label: 'Warning', icon: '!' },
  unknown: { label: 'Unknown', icon: '?' },
};

export function ChecksStep({ actions }: { actions: WizardActions }) {
  const { state } = actions;
  const preflight = state.preflight;
  const [busy, setBusy] = useState<'rerun' | 'commit' | 'fix'>();
  const [error, setError] = useState<ApiError>();
  const signIn = useMicrosoftSignIn(actions);

  async function run(kind: 'rerun' | 'commit') {
    setBusy(kind);
    setError(undefined);
    try {
      actions.onState(kind === 'rerun' ? await api.runPreflight() : await api.commitConnection());
    } catch (failure) {
      const apiError = asApiError(failure);
      if (!actions.onConflict(apiError)) setError(apiError);
      // PREFLIGHT_NOT_PASSED: the checks changed on the server meanwhile; show them as they are.
      if (apiError.code === 'PREFLIGHT_NOT_PASSED') void actions.reload();
    } finally {
      setBusy(undefined);
    }
  }

  /** "Fix it for me": TotalOne makes the AdminAgents change with the Entra app's permissions. */
  async function fix(which: FixableCheck) {
    setBusy('fix');
    setError(undefined);
    try {
      actions.onState(await api.fixInMicrosoft(which));
    } catch (failure) {
      const apiError = asApiError(failure);
      if (!actions.onConflict(apiError)) setError(apiError);
    } finally {
      setBusy(undefined);
    }
  }

  // A new sign-in comes back without checks: they run now, while the page shows their progress.
  const autoRan = useRef<string | null>(null);
  const signedInAt = state.signIn?.signedInAt ?? null;
  useEffect(() => {
    if (!preflight && signedInAt && !state.signIn?.error && autoRan.current !== signedInAt && busy === undefined) {
      autoRan.current = signedInAt;
      void run('rerun');
    }
  }, [preflight, signedInAt]);

  const checks = preflight?.checks ?? [];
  const mfaFailed = checks.some((check) => check.id === 'mfa_performed' && check.status === 'failed');
  const canComplete = preflight?.allRequiredPassed === true;
  const anyBusy = busy !== undefined || signIn.busy;

  return (
    <>
      <StepHeading step="preflight">Checks</StepHeading>
      {state.signIn?.error ? (
        <SignInFailure error={state.signIn.error} />
      ) : state.signIn?.unfinishedSince ? (
        <UnfinishedSignIn since={state.signIn.unfinishedSince} replyAddress={state.replyAddress} />
      ) : null}
      {state.signIn?.upn ? (
        <p>
          Signed in as <strong className="mono">{state.signIn.upn}</strong>
          {state.signIn.mfaPerformed ? ' with multi-factor authentication' : ''}
          {state.signIn.signedInAt ? ` on ${formatDateTime(state.signIn.signedInAt)}` : ''}.
        </p>
      ) : null}

      <div role="status" className="checks-summary-region">
        {busy === 'rerun' || busy === 'fix' ? (
          <p className="loading">{busy === 'fix' ? 'Making the change in your directory, then running the checks…' : 'Running the checks…'}</p>
        ) : preflight ? (
          <Summary preflight={preflight} />
        ) : (
          <p className="checks-summary checks-summary--failed">The checks have not run yet. Run them now.</p>
        )}
      </div>

      {preflight ? (
        <ul className="checks" aria-label="Checks">
          {checks.map((check) => (
            <CheckItem key={check.id} check={check} onFix={fixable(check) ? () => void fix(check.id as FixableCheck) : undefined} disabled={anyBusy} />
          ))}
        </ul>
      ) : null}

      {error ? <ApiErrorNotice error={error} /> : null}

      {mfaFailed ? (
        <Notice tone="warning" title="Sign in again after enforcing MFA" live={false}>
          <p>Once multi-factor authentication is enforced for the service account, sign in again: the checks then run with the new sign-in.</p>
        </Notice>
      ) : null}

      <div className="form-actions">
        <button
          type="button"
          className={`button button--primary button--large${canComplete ? '' : ' button--unavailable'}`}
          disabled={!canComplete || anyBusy}
          aria-describedby={canComplete ? undefined : 'complete-hint'}
          onClick={() => void run('commit')}
        >
          Complete the connection
        </button>
        <button type="button" className="button button--secondary" disabled={anyBusy} onClick={() => void run('rerun')}>
          Run the checks again
        </button>
        {mfaFailed || state.signIn?.error ? (
          <button type="button" className="button button--secondary" disabled={anyBusy} onClick={() => void signIn.start()}>
            Sign in again
          </button>
        ) : null}
      </div>
      {canComplete ? null : (
        <p id="complete-hint" className="muted complete-hint">
          You can complete the connection when every required check has passed. Fix what the failed checks describe in Microsoft, then run the
          checks again; nothing you entered is lost.
        </p>
      )}
      <BusyStatus busy={busy === 'commit' || signIn.busy}>
        {busy === 'commit' ? 'Completing the connection…' : 'Opening Microsoft’s sign-in page…'}
      </BusyStatus>
      {signIn.error ? <SignInStartProblem error={signIn.error} replyAddress={state.replyAddress} /> : null}

      <details className="where where--entered">
        <summary>What you entered</summary>
        <div className="accepted-group">
          {state.entraApp ? <AcceptedEntraApp entraApp={state.entraApp} onChange={anyBusy ? undefined : actions.edit} /> : null}
          {state.partnerCenterApp ? <AcceptedPartnerCenterApp app={state.partnerCenterApp} onChange={anyBusy ? undefined : actions.edit} /> : null}
        </div>
      </details>
    </>
  );
}

function Summary({ preflight }: { preflight: NonNullable<ConnectState['preflight']> }) {
  const required = preflight.checks.filter((check) => check.required);
  const count = (status: Status) => preflight.checks.filter((check) => check.status === status).length;
  const failed = count('failed');
  const failedOptional = preflight.checks.filter((check) => !check.required && check.status === 'failed').length;
  const unknown = count('unknown');
  const warnings = count('warning');
  const passedRequired = required.filter((check) => check.status === 'passed' || check.status === 'warning').length;
  const parts = [
    preflight.allRequiredPassed ? `All ${required.length} required checks passed` : `${passedRequired} of ${required.length} required checks passed`,
    failed ? `${failed} failed${failedOptional ? ` (${failedOptional === failed ? 'all' : failedOptional} of them optional)` : ''}` : '',
    unknown ? `${unknown} could not be checked` : '',
    warnings ? `${warnings} with a warning` : '',
  ].filter(Boolean);
  return (
    <p className={`checks-summary checks-summary--${preflight.allRequiredPassed ? 'passed' : 'failed'}`}>
      <span className="checks-summary__icon" aria-hidden="true">
        {preflight.allRequiredPassed ? '✓' : '✗'}
      </span>
      <span>
        {parts.join(', ')}.{' '}
        <span className="muted">Checked {formatDateTime(preflight.ranAt)}.</span>
      </span>
    </p>
  );
}

type FixableCheck = 'service_account_in_admin_agents' | 'app_in_admin_agents';
const fixable = (check: PreflightCheckView) => check.status === 'failed' && (check.id === 'service_account_in_admin_agents' || check.id === 'app_in_admin_agents');

function CheckItem({ check, onFix, disabled }: { check: PreflightCheckView; onFix?: (() => void) | undefined; disabled?: boolean }) {
  const { label, icon } = statusText[check.status];
  return (
    <li className={`check check--${check.status}`}>
      <span className="check__icon" aria-hidden="true">
        {icon}
      </span>
      <div className="check__body">
        <p className="check__head">
          <span className="check__title">{check.title}</span>
          <span className="check__status">
            <span className="visually-hidden">: </span>
            {label}
          </span>
          {check.required ? null : <span className="check__optional">(optional)</span>}
        </p>
        <p className="check__found">{check.found}</p>
        {check.fix && check.status !== 'passed' ? (
          <p className="check__fix">
            <strong>How to fix: </strong>
            {check.fix}
          </p>
        ) : null}
        {onFix ? (
          <p>
            <button type="button" className="button button--secondary button--small" onClick={onFix} disabled={disabled}>
              Add it to AdminAgents for me
            </button>{' '}
            <span className="muted">TotalOne makes this change with your Entra app’s Group.ReadWrite.All permission; it is recorded.</span>
          </p>
        ) : null}
      </div>
    </li>
  );
}
