import { useState } from 'react';
import { api, asApiError, type ApiError, type VerificationResult } from '../api.ts';
import { ApiErrorNotice, Notice } from '../components/Notice.tsx';
import { OutcomeView } from '../components/OutcomeView.tsx';
import { formatDateTime, formatTimeLeft } from '../format.ts';
import { useLinkToken } from '../link-token.ts';
import { Link, usePageTitle } from '../router.tsx';

// The page behind "Verify email". Opening it changes nothing (mail scanners open links too); only
// the button's POST confirms the address, and the answer names where the signup link went.

type State = { kind: 'ready' } | { kind: 'working' } | { kind: 'verified'; result: VerificationResult } | { kind: 'failed'; error: ApiError };

export function VerifyPage() {
  const link = useLinkToken();
  const [state, setState] = useState<State>({ kind: 'ready' });

  if (link.kind === 'missing') return <MissingLink />;
  if (link.kind === 'damaged') return <DamagedLink message={link.message} />;

  const token = link.token;
  async function verify() {
    setState({ kind: 'working' });
    try {
      setState({ kind: 'verified', result: await api.verifyEmail(token) });
    } catch (error) {
      setState({ kind: 'failed', error: asApiError(error) });
    }
  }

  if (state.kind === 'verified') return <Verified result={state.result} />;
  if (state.kind === 'failed') {
    const view = problemFor(state.error);
    if (view) return view;
  }
  return <ReadyToVerify working={state.kind === 'working'} error={state.kind === 'failed' ? state.error : undefined} onVerify={verify} />;
}

function ReadyToVerify({ working, error, onVerify }: { working: boolean; error?: ApiError; onVerify: () => void }) {
  usePageTitle('Verify your email');
  return (
    <div className="narrow stack">
      <div className="page-intro">
        <p className="eyebrow">Step 1 of 3</p>
        <h1>Verify your email address</h1>
        <p className="lead">Press the button to confirm that this address belongs to your company's primary contact.</p>
      </div>
      {error ? <ApiErrorNotice error={error} /> : null}
      <div className="card">
        <p>Once confirmed, we send your one-time signup link to the same address within a few minutes.</p>
        <button type="button" className="button button--primary button--large" onClick={onVerify} disabled={working} aria-describedby="verify-note">
          {working ? 'Verifying…' : 'Verify email'}
        </button>
        <p className="muted" id="verify-note">
          Nothing happens until you press the button.
        </p>
      </div>
    </div>
  );
}

function Verified({ result }: { result: VerificationResult }) {
  return (
    <div className="stack">
      <OutcomeView eyebrow="Step 1 of 3 complete" tone="success" takeFocus title="Your email address is confirmed">
        <Notice tone="success">
          <p>
            Thank you. The signup of <strong>{result.companyName}</strong> continues.
          </p>
          <p>
            Your one-time signup link is on its way to <strong>{result.signupLinkSentTo}</strong>. It is valid until{' '}
            <strong>{formatDateTime(result.signupLinkExpiresAt)}</strong> ({formatTimeLeft(result.signupLinkExpiresAt)}).
          </p>
        </Notice>
      </OutcomeView>

      <section className="card" aria-labelledby="next-heading">
        <h2 id="next-heading">What to do next</h2>
        <ol className="steps-list">
          <li>
            <strong>Prepare Microsoft first (Step 2).</strong> Create the service account, the Partner Center web app secret and the Entra app
            registration as described in <Link to="/#prepare-microsoft">the Step 2 checklist</Link>.
          </li>
          <li>
            <strong>Do not open the signup link before that.</strong> It works once and only in the browser where you first press Start.
          </li>
          <li>
            <strong>Then open it in a private (incognito) window</strong>, so your everyday Microsoft sign-in does not get in the way, and keep the app
            IDs and secrets from Step 2 at hand.
          </li>
        </ol>
      </section>

      <section className="card" aria-labelledby="no-email-heading">
        <h2 id="no-email-heading">No signup link within 10 minutes?</h2>
        <p>Check your spam or quarantine folder, then:</p>
        <ul>
          <li>
            <Link to="/help#new-signup-link">request a new signup link</Link> (the earlier one then stops working), or
          </li>
          <li>
            <Link to="/support">contact support</Link>.
          </li>
        </ul>
      </section>
    </div>
  );
}

function problemFor(error: ApiError) {
  switch (error.code) {
    case 'LINK_UNKNOWN':
      return (
        <OutcomeView takeFocus title="We do not recognise this confirmation link" message={error.message}>
          <HelpActions primary="resend" />
        </OutcomeView>
      );
    case 'LINK_EXPIRED':
      return (
        <OutcomeView takeFocus title="This confirmation link has expired" message={error.message}>
          <HelpActions primary="resend" />
        </OutcomeView>
      );
    case 'LINK_REVOKED':
      return (
        <OutcomeView takeFocus title="A newer confirmation link replaced this one" message={error.message}>
          <p>Open the most recent email titled “Confirm your email” and use its button.</p>
          <HelpActions primary="resend" />
        </OutcomeView>
      );
    case 'LINK_ALREADY_USED':
      return (
        <OutcomeView takeFocus tone="info" title="Your email address is already confirmed" message={error.message}>
          <p>Look for our second email with the signup link. Remember to prepare Microsoft (Step 2) before you open it.</p>
          <HelpActions primary="signup-link" />
        </OutcomeView>
      );
    case 'VALIDATION_FAILED':
      return <DamagedLink takeFocus message={error.fields[0]?.message ?? error.message} />;
    default:
      return undefined;
  }
}

function HelpActions({ primary }: { primary: 'resend' | 'signup-link' }) {
  return (
    <div className="button-row">
      {primary === 'resend' ? (
        <Link to="/help#new-confirmation" className="button button--primary">
          Send a new confirmation email
        </Link>
      ) : (
        <Link to="/help#new-signup-link" className="button button--primary">
          Request a new signup link
        </Link>
      )}
      <Link to="/support" className="button button--secondary">
        Contact support
      </Link>
    </div>
  );
}

function DamagedLink({ message, takeFocus = false }: { message: string; takeFocus?: boolean }) {
  return (
    <OutcomeView takeFocus={takeFocus} title="This confirmation link is incomplete" message={message}>
      <p>Some mail programs break long links. Press the button in the email instead of copying the address, or copy the whole link in one piece.</p>
      <HelpActions primary="resend" />
    </OutcomeView>
  );
}

function MissingLink() {
  return (
    <OutcomeView tone="info" title="Open the link from your email" message="This page confirms an email address, but it needs the link from our email to do so.">
      <p>
        For your security the link is removed from the address bar as soon as the page opens, so reloading this page cannot reuse it. Press the
        button in the email again.
      </p>
      <HelpActions primary="resend" />
    </OutcomeView>
  );
}
