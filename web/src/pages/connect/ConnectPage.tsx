import { useCallback, useEffect, useState } from 'react';
import type { SignupSessionView } from '../../../../contracts/signup.ts';
import { api, asApiError, type ApiError } from '../../api.ts';
import { ApiErrorNotice, Notice } from '../../components/Notice.tsx';
import { OutcomeView } from '../../components/OutcomeView.tsx';
import { formatDateTime, formatTimeLeft } from '../../format.ts';
import { Link, usePageTitle } from '../../router.tsx';
import { StepList } from './StepList.tsx';
import { connectSteps, currentStepFor, type ConnectStepId } from './steps.ts';

// Step 3: the connection wizard for the signup this browser has claimed. The session cookie set by
// the claim identifies it; the page asks the server which signup that is.

type State = { kind: 'loading' } | { kind: 'ready'; session: SignupSessionView } | { kind: 'failed'; error: ApiError };

export function ConnectPage() {
  const [state, setState] = useState<State>({ kind: 'loading' });

  const load = useCallback(async () => {
    setState({ kind: 'loading' });
    try {
      setState({ kind: 'ready', session: await api.signupSession() });
    } catch (error) {
      setState({ kind: 'failed', error: asApiError(error) });
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  if (state.kind === 'loading') return <Loading />;
  if (state.kind === 'failed') {
    if (state.error.code === 'NO_SIGNUP_SESSION') return <NoSession message={state.error.message} />;
    return (
      <div className="narrow stack">
        <h1>We could not load your signup</h1>
        <ApiErrorNotice error={state.error} />
        <button type="button" className="button button--primary" onClick={() => void load()}>
          Try again
        </button>
      </div>
    );
  }
  return <Wizard session={state.session} />;
}

function Loading() {
  usePageTitle('Connect Microsoft');
  return (
    <div className="narrow stack">
      <h1>Connect Microsoft</h1>
      <p role="status" className="loading">
        Loading your signup…
      </p>
    </div>
  );
}

function Wizard({ session }: { session: SignupSessionView }) {
  usePageTitle(`Connect ${session.companyName}`);
  const current = currentStepFor(session.state);
  return (
    <div className="stack">
      <div className="page-intro">
        <p className="eyebrow">Step 3 of 3 · Connect Microsoft</p>
        <h1>Connect {session.companyName} to TotalOne</h1>
        <Notice tone="success" title="Your signup link is now bound to this browser">
          <p>You can close this window and come back later in this same browser, until the link expires. The link no longer works in any other browser.</p>
        </Notice>
        <dl className="facts">
          <div>
            <dt>Company</dt>
            <dd>{session.companyName}</dd>
          </div>
          <div>
            <dt>Signup reference</dt>
            <dd>{session.reference}</dd>
          </div>
          <div>
            <dt>Link valid until</dt>
            <dd>
              {formatDateTime(session.linkExpiresAt)} ({formatTimeLeft(session.linkExpiresAt)})
            </dd>
          </div>
        </dl>
      </div>

      <div className="wizard">
        <StepList current={current} />
        <StepPanel step={current} />
      </div>
    </div>
  );
}

/** The body of the current step. Each step's form plugs in here as it is built. */
function StepPanel({ step }: { step: ConnectStepId }) {
  const definition = connectSteps.find((candidate) => candidate.id === step);
  return (
    <section className="card wizard__panel" aria-labelledby="step-heading">
      <h2 id="step-heading">{definition?.title}</h2>
      <p>{definition?.summary}</p>
      <Notice tone="info" title="The connection wizard continues here" live={false}>
        <p>
          Next come the Terms of Use, the Entra app, the Partner Center app, the Microsoft sign-in with the service account, and the final checks. This
          part of the wizard is not open yet; your link stays bound to this browser meanwhile.
        </p>
      </Notice>
      <p className="muted">
        Need help? <Link to="/support">Contact support</Link> and quote your signup reference.
      </p>
    </section>
  );
}

function NoSession({ message }: { message: string }) {
  return (
    <OutcomeView tone="info" title="No signup is open in this browser" message={message}>
      <p>
        The connection continues in the browser where you pressed Start on the signup link page. A private window forgets this when it is closed: in
        that case request a new signup link (the old one then stops working) and open it in a new window.
      </p>
      <div className="button-row">
        <Link to="/help#new-signup-link" className="button button--primary">
          Request a new signup link
        </Link>
        <Link to="/support" className="button button--secondary">
          Contact support
        </Link>
      </div>
    </OutcomeView>
  );
}
