import { useEffect, useRef } from 'react';
import type { ApiError, ConnectState } from '../../api.ts';
import { ApiErrorNotice, Notice } from '../../components/Notice.tsx';
import { formatDateTime } from '../../format.ts';
import { AcceptedEntraApp, AcceptedPartnerCenterApp } from './Accepted.tsx';
import { ReplyAddress } from './ReplyAddress.tsx';
import { BusyStatus, StepHeading, useMicrosoftSignIn, type WizardActions } from './wizard.tsx';

// Step 3.4: the service account signs in at Microsoft (with MFA) and accepts the permissions.
// Microsoft sends the browser back to the server, which stores the outcome and redirects here.

export function SignInStep({ actions }: { actions: WizardActions }) {
  const { state } = actions;
  const signIn = useMicrosoftSignIn(actions);
  const failure = state.signIn?.error ?? null;
  const example = serviceAccountExample(state);

  return (
    <>
      <StepHeading step="sign_in">Sign in with Microsoft</StepHeading>
      {failure ? <SignInFailure error={failure} /> : state.signIn?.unfinishedSince ? <UnfinishedSignIn since={state.signIn.unfinishedSince} replyAddress={state.replyAddress} /> : null}
      <p>
        Now the service account signs in once, so TotalOne may work in Partner Center on your behalf. Before you press the button:
      </p>
      <ol className="steps-list sign-in-steps">
        <li>
          <strong>Use a private window</strong> (InPrivate or incognito), ideally this one. Otherwise the browser may sign in with your everyday
          Microsoft account without asking.
        </li>
        <li>
          <strong>Sign in as the service account</strong> you created in Step 2, for example <span className="mono">{example}</span>, with its
          password. Not with your own account.
        </li>
        <li>
          <strong>Have its second factor ready</strong> (for example the Microsoft Authenticator app): TotalOne asks Microsoft to prompt for it,
          and a sign-in without multi-factor authentication is refused. <MfaTimeline />
        </li>
        <li>
          <strong>Accept the permissions</strong> on the page where Microsoft lists what TotalOne may do. Microsoft then sends you back here, where the
          checks run.
        </li>
      </ol>
      <p className="muted">
        Before sending you to Microsoft we check that your Partner Center web app has the reply address{' '}
        <span className="mono">{state.replyAddress}</span> registered.
      </p>

      {signIn.error ? <SignInStartProblem error={signIn.error} replyAddress={state.replyAddress} /> : null}
      <div className="form-actions">
        <button type="button" className="button button--primary button--large" onClick={() => void signIn.start()} disabled={signIn.busy}>
          {failure ? 'Sign in with Microsoft again' : 'Sign in with Microsoft'}
        </button>
        <BusyStatus busy={signIn.busy}>Opening Microsoft&rsquo;s sign-in page…</BusyStatus>
      </div>

      <div className="accepted-group">
        {state.entraApp ? <AcceptedEntraApp entraApp={state.entraApp} onChange={signIn.busy ? undefined : actions.edit} /> : null}
        {state.partnerCenterApp ? <AcceptedPartnerCenterApp app={state.partnerCenterApp} onChange={signIn.busy ? undefined : actions.edit} /> : null}
      </div>
    </>
  );
}

/**
 * Why the sign-in could not start. A missing reply address is answered at the reply address, like
 * a field: the address, where it goes and the fix; anything else as a notice.
 */
export function SignInStartProblem({ error, replyAddress }: { error: ApiError; replyAddress: string }) {
  const atReplyAddress = error.fields.find((problem) => problem.path === 'replyAddress');
  if (!atReplyAddress) return <ApiErrorNotice error={error} />;
  return (
    <div className="stack">
      <Notice tone="error" title="Register the reply address first">
        <p>{error.message}</p>
      </Notice>
      <ReplyAddress address={replyAddress} error={atReplyAddress.message} focusOnError />
    </div>
  );
}

/**
 * A sign-in went to Microsoft and its answer never came back: Microsoft stopped it on its own page
 * (the browser then stays there), or the partner went back. The most likely causes, each with the
 * code Microsoft shows for it.
 */
export function UnfinishedSignIn({ since, replyAddress }: { since: string; replyAddress: string }) {
  return (
    <Notice tone="warning" title="Your last sign-in at Microsoft did not come back here">
      <p>
        It started on {formatDateTime(since)}. If Microsoft showed an error page, the code on it (AADSTS followed by digits) says which of these
        happened:
      </p>
      <ul>
        <li>
          <strong>AADSTS50011, the reply address:</strong> <span className="mono">{replyAddress}</span> is not registered on the Partner Center web
          app. Add it under Authentication &gt; Web &gt; Redirect URIs of that app in the Entra admin center.
        </li>
        <li>
          <strong>AADSTS65001 or &ldquo;Need admin approval&rdquo;, consent:</strong> the account that signed in may not consent for your
          organisation. Sign in as the service account, which is a Global Administrator, and press Accept on the permissions page.
        </li>
        <li>
          <strong>AADSTS50076, 50079 or 50072, multi-factor authentication:</strong> Microsoft asked for a second factor that the service account has
          not set up or could not complete. Register an authenticator for it (sign in once at aka.ms/mfasetup in a private window), then sign in
          again.
        </li>
      </ul>
      <p>If you simply went back from Microsoft&rsquo;s page, sign in again.</p>
    </Notice>
  );
}

/** Microsoft refused or the answer did not pass our checks: said first, and focused once. */
export function SignInFailure({ error }: { error: { code: string; message: string } }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <div ref={ref} tabIndex={-1} className="focus-target">
      <Notice tone="error" title={titleFor(error.code)}>
        <p>{error.message}</p>
        <p className="muted">
          Code: <span className="mono">{error.code}</span>
        </p>
      </Notice>
    </div>
  );
}

function titleFor(code: string): string {
  switch (code) {
    case 'MFA_REQUIRED':
      return 'The sign-in did not use multi-factor authentication';
    case 'WRONG_TENANT':
      return 'You signed in with an account of another tenant';
    case 'ACCESS_DENIED':
      return 'The permissions were not accepted';
    default:
      return 'The Microsoft sign-in did not succeed';
  }
}

/** Microsoft's multi-factor authentication requirements, in the order they took effect. */
export function MfaTimeline() {
  return (
    <>
      Microsoft requires it step by step: for the Azure portal and the Entra and Intune admin centers since 15 October 2024, for the Partner Center
      portal since 8 September 2025, and since 1 April 2026 Partner Center refuses API calls made with a user&rsquo;s sign-in (as TotalOne&rsquo;s)
      when that sign-in did not use a second factor.
    </>
  );
}

/** total.one@<the partner's domain> when the tenant was entered as a domain. */
function serviceAccountExample(state: ConnectState): string {
  const tenant = state.entraApp?.tenant ?? '';
  return tenant.includes('.') ? `total.one@${tenant}` : 'total.one@yourdomain.onmicrosoft.com';
}
