import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { api, asApiError, type ApiError, type ConnectState } from '../../api.ts';
import { ApiErrorNotice, Notice } from '../../components/Notice.tsx';
import { OutcomeView } from '../../components/OutcomeView.tsx';
import { formatDateTime, formatTimeLeft } from '../../format.ts';
import { Link, usePageTitle } from '../../router.tsx';
import { ChecksStep } from './ChecksStep.tsx';
import { DoneStep } from './DoneStep.tsx';
import { EntraAppStep } from './EntraAppStep.tsx';
import { PartnerCenterAppStep } from './PartnerCenterAppStep.tsx';
import { SignInStep } from './SignInStep.tsx';
import { StepList } from './StepList.tsx';
import { displayedStep, type EditableStep } from './steps.ts';
import { TermsStep } from './TermsStep.tsx';
import type { WizardActions } from './wizard.tsx';

// Step 3: the connection wizard for the signup this browser has claimed (the session cookie set
// by the claim identifies it). One page: the server's state says which step is next, so reload,
// back/forward and the return from Microsoft's sign-in all land where the partner stands.

type Load = { kind: 'loading' } | { kind: 'ready'; state: ConnectState } | { kind: 'failed'; error: ApiError };

export function ConnectPage() {
  const [load, setLoad] = useState<Load>({ kind: 'loading' });
  // A new generation starts every step panel afresh (after the page comes back from the cache).
  const [generation, setGeneration] = useState(0);

  const refresh = useCallback(async (options: { quiet?: boolean } = {}) => {
    if (!options.quiet) setLoad({ kind: 'loading' });
    try {
      setLoad({ kind: 'ready', state: await api.connectState() });
    } catch (error) {
      setLoad({ kind: 'failed', error: asApiError(error) });
    }
  }, []);

  useEffect(() => {
    void refresh();
    // Back from Microsoft's pages may restore this page from the browser's page cache as it was
    // when it left (a button still busy, an older step): ask the server again, start afresh.
    const onPageShow = (event: PageTransitionEvent) => {
      if (!event.persisted) return;
      setGeneration((n) => n + 1);
      void refresh({ quiet: true });
    };
    window.addEventListener('pageshow', onPageShow);
    return () => window.removeEventListener('pageshow', onPageShow);
  }, [refresh]);

  if (load.kind === 'failed') {
    if (load.error.code === 'NO_SIGNUP_SESSION') return <NoSession message={load.error.message} />;
    return <LoadFailed error={load.error} onRetry={() => void refresh()} />;
  }
  // One frame for loading and ready, so the page heading (focused after an in-app page change)
  // stays the same element when the signup arrives.
  return (
    <Frame state={load.kind === 'ready' ? load.state : undefined}>
      {load.kind === 'ready' ? (
        <Wizard key={generation} state={load.state} onState={(state) => setLoad({ kind: 'ready', state })} reload={() => refresh({ quiet: true })} />
      ) : null}
    </Frame>
  );
}

function LoadFailed({ error, onRetry }: { error: ApiError; onRetry: () => void }) {
  usePageTitle('We could not load your signup');
  return (
    <div className="narrow stack">
      <h1>We could not load your signup</h1>
      <ApiErrorNotice error={error} />
      <button type="button" className="button button--primary" onClick={onRetry}>
        Try again
      </button>
    </div>
  );
}

/** The page's heading and the signup's facts (while loading: the heading and a status line). */
function Frame({ state, children }: { state: ConnectState | undefined; children: ReactNode }) {
  const done = state?.step === 'done';
  usePageTitle(!state ? 'Connect Microsoft' : `${done ? 'Connected' : 'Connect'} ${state.companyName}`);
  return (
    <div className="stack">
      <div className="page-intro">
        <p className="eyebrow">Step 3 of 3 · Connect Microsoft</p>
        <h1>{!state ? 'Connect Microsoft' : done ? `${state.companyName} is connected` : `Connect ${state.companyName} to TotalOne`}</h1>
        {!state ? (
          <p role="status" className="loading">
            Loading your signup…
          </p>
        ) : (
          <>
            {done ? null : (
              <p className="muted">
                Your signup link is bound to this browser. You can close this window and continue later in this same browser, until the link
                expires.
              </p>
            )}
            <dl className="facts">
              <div>
                <dt>Company</dt>
                <dd>{state.companyName}</dd>
              </div>
              <div>
                <dt>Signup reference</dt>
                <dd>{state.reference}</dd>
              </div>
              {done ? (
                state.committedAt ? (
                  <div>
                    <dt>Connected on</dt>
                    <dd>{formatDateTime(state.committedAt)}</dd>
                  </div>
                ) : null
              ) : (
                <div>
                  <dt>Link valid until</dt>
                  <dd>
                    {formatDateTime(state.linkExpiresAt)} ({formatTimeLeft(state.linkExpiresAt)})
                  </dd>
                </div>
              )}
            </dl>
          </>
        )}
      </div>
      {children}
    </div>
  );
}

/** Answers that mean the page shows an outdated step: fetch the state again and say why. */
const STALE_STATE = new Set(['STEP_ORDER', 'TERMS_NOT_ACCEPTED', 'ALREADY_CONNECTED', 'NO_SIGNUP_SESSION', 'LINK_NOT_USABLE']);

function Wizard({ state, onState, reload }: { state: ConnectState; onState: (state: ConnectState) => void; reload: () => Promise<void> }) {
  const [editing, setEditing] = useState<EditableStep>();
  const [stale, setStale] = useState<ApiError>();
  const shown = displayedStep(state, editing);

  // After every step change inside the page, the new step's heading takes focus (and so is
  // announced); on the first render the page's own focus handling stays.
  const firstRender = useRef(true);
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    const heading = document.getElementById('step-heading');
    heading?.focus({ preventScroll: true });
    heading?.scrollIntoView({ block: 'start' });
  }, [shown]);

  const actions: WizardActions = {
    state,
    onState(next) {
      setStale(undefined);
      setEditing(undefined);
      onState(next);
    },
    reload: async () => {
      setStale(undefined);
      setEditing(undefined);
      await reload();
    },
    onConflict(error) {
      if (!STALE_STATE.has(error.code)) return false;
      setEditing(undefined);
      setStale(error);
      void reload();
      return true;
    },
    edit(step) {
      setStale(undefined);
      setEditing(step);
    },
    cancelEdit: () => setEditing(undefined),
  };

  return (
    <div className="wizard">
      <StepList current={shown} reached={state.step} />
      <section className="card wizard__panel" aria-labelledby="step-heading">
        {stale ? <StaleNotice error={stale} /> : null}
        <StepPanel step={shown} actions={actions} />
        <p className="muted wizard__help">
          {state.step === 'done' ? 'Questions?' : 'Stuck?'} <Link to="/support">Contact support</Link> and quote your signup reference {state.reference}.
        </p>
      </section>
    </div>
  );
}

function StepPanel({ step, actions }: { step: ReturnType<typeof displayedStep>; actions: WizardActions }) {
  switch (step) {
    case 'terms':
      return <TermsStep actions={actions} />;
    case 'entra_app':
      return <EntraAppStep actions={actions} />;
    case 'partner_center_app':
      return <PartnerCenterAppStep actions={actions} />;
    case 'sign_in':
      return <SignInStep actions={actions} />;
    case 'preflight':
      return <ChecksStep actions={actions} />;
    case 'done':
      return <DoneStep />;
    case 'link':
      return null;
  }
}

function StaleNotice({ error }: { error: ApiError }) {
  if (error.code === 'LINK_NOT_USABLE' || error.code === 'NO_SIGNUP_SESSION') {
    return (
      <Notice tone="error" title="Your signup link can no longer be used">
        <p>{error.message}</p>
        <p>
          <Link to="/help#new-signup-link">Request a new signup link</Link>, open it in this browser and press Start: you continue where you are now.
        </p>
      </Notice>
    );
  }
  return (
    <Notice tone="info" title="This page was out of date">
      <p>{error.message}</p>
      <p>It now shows where your connection stands.</p>
    </Notice>
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
