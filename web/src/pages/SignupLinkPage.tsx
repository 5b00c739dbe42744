import { useCallback, useEffect, useState } from 'react';
import { api, asApiError, type ApiError } from '../api.ts';
import type { SignupLinkView } from '../../../contracts/signup.ts';
import { ApiErrorNotice, Notice } from '../components/Notice.tsx';
import { OutcomeView } from '../components/OutcomeView.tsx';
import { formatDateTime, formatTimeLeft } from '../format.ts';
import { useLinkToken } from '../link-token.ts';
import { Link, navigate, usePageTitle } from '../router.tsx';

// The page behind the one-time signup link. Looking at it changes nothing (inspect); Start binds
// the link to this browser (claim) and the connection wizard continues on /connect.

type State =
  | { kind: 'loading' }
  | { kind: 'ready'; view: SignupLinkView; starting: boolean; error?: ApiError }
  | { kind: 'failed'; error: ApiError; fromStart: boolean };

export function SignupLinkPage() {
  const link = useLinkToken();
  const [state, setState] = useState<State>({ kind: 'loading' });
  const token = link.kind === 'present' ? link.token : undefined;

  const inspect = useCallback(async () => {
    if (!token) return;
    setState({ kind: 'loading' });
    try {
      setState({ kind: 'ready', view: await api.inspectSignupLink(token), starting: false });
    } catch (error) {
      setState({ kind: 'failed', error: asApiError(error), fromStart: false });
    }
  }, [token]);

  useEffect(() => {
    void inspect();
  }, [inspect]);

  if (link.kind === 'missing') return <MissingLink />;
  if (link.kind === 'damaged') return <DamagedLink message={link.message} />;
  const presentToken = link.token;

  async function start(view: SignupLinkView) {
    setState({ kind: 'ready', view, starting: true });
    try {
      await api.claimSignupLink(presentToken);
      navigate('/connect');
    } catch (error) {
      const failure = asApiError(error);
      if (problemFor(failure, true)) setState({ kind: 'failed', error: failure, fromStart: true });
      else setState({ kind: 'ready', view, starting: false, error: failure });
    }
  }

  if (state.kind === 'loading') return <Loading />;
  if (state.kind === 'failed') {
    return (
      problemFor(state.error, state.fromStart) ?? (
        <div className="narrow stack">
          <h1>We could not open your signup link</h1>
          <ApiErrorNotice error={state.error} />
          <button type="button" className="button button--primary" onClick={() => void inspect()}>
            Try again
          </button>
        </div>
      )
    );
  }
  return <LinkReady view={state.view} starting={state.starting} error={state.error} onStart={() => void start(state.view)} />;
}

function Loading() {
  usePageTitle('Opening your signup link');
  return (
    <div className="narrow stack">
      <h1>Opening your signup link</h1>
      <p role="status" className="loading">
        Checking the link…
      </p>
    </div>
  );
}

function LinkReady({ view, starting, error, onStart }: { view: SignupLinkView; starting: boolean; error?: ApiError; onStart: () => void }) {
  const resume = view.status === 'claimed_here';
  usePageTitle(resume ? 'Continue your signup' : 'Connect Microsoft');
  return (
    <div className="stack">
      <div className="page-intro">
        <p className="eyebrow">Step 3 of 3</p>
        <h1>{resume ? `Continue connecting ${view.companyName}` : `Connect ${view.companyName} to TotalOne`}</h1>
        <dl className="facts">
          <div>
            <dt>Company</dt>
            <dd>{view.companyName}</dd>
          </div>
          <div>
            <dt>Signup reference</dt>
            <dd>{view.reference}</dd>
          </div>
          <div>
            <dt>Link valid until</dt>
            <dd>
              {formatDateTime(view.expiresAt)} ({formatTimeLeft(view.expiresAt)})
            </dd>
          </div>
        </dl>
      </div>

      {resume ? (
        <Notice tone="info" title="You already started in this browser">
          <p>Your signup link is bound to this browser. Continue where you left off.</p>
        </Notice>
      ) : (
        <>
          <Notice tone="warning" title="This link works once, in one browser" live={false}>
            <p>
              When you press Start, the link is bound to this browser. It cannot be used in another browser afterwards. We recommend a private
              (incognito) window, so the sign-in uses the TotalOne service account and not your everyday Microsoft account.
            </p>
          </Notice>
          <section className="card" aria-labelledby="ready-heading">
            <h2 id="ready-heading">Have these ready from Step 2</h2>
            <ul className="checklist">
              <li>
                <strong>Entra app registration:</strong> the Application (client) ID and the client secret value.
              </li>
              <li>
                <strong>Partner Center web app:</strong> the App ID, the secret and the secret's expiry date.
              </li>
              <li>
                <strong>Partner Center native app ID.</strong>
              </li>
              <li>
                <strong>The service account:</strong> its user name and password, and the phone or app for its multi-factor sign-in.
              </li>
            </ul>
            <p className="muted">
              Not ready yet? Close this page; the link stays valid until the time above. The <Link to="/#prepare-microsoft">Step 2 checklist</Link> explains
              each item.
            </p>
          </section>
        </>
      )}

      {error ? <ApiErrorNotice error={error} /> : null}
      <div className="form-actions">
        <button type="button" className="button button--primary button--large" onClick={onStart} disabled={starting}>
          {starting ? (resume ? 'Continuing…' : 'Starting…') : resume ? 'Continue' : 'Start'}
        </button>
      </div>
    </div>
  );
}

function problemFor(error: ApiError, takeFocus: boolean) {
  switch (error.code) {
    case 'LINK_EXPIRED':
      return (
        <OutcomeView takeFocus={takeFocus} title="This signup link has expired" message={error.message}>
          <p>Signup links are valid for 48 hours. A new one arrives at the primary contact's address within a few minutes.</p>
          <Actions />
        </OutcomeView>
      );
    case 'LINK_REVOKED':
      return (
        <OutcomeView takeFocus={takeFocus} title="A newer signup link replaced this one" message={error.message}>
          <p>Open the most recent email with your signup link. If you cannot find it, request another one.</p>
          <Actions />
        </OutcomeView>
      );
    case 'LINK_SPENT':
      return (
        <OutcomeView takeFocus={takeFocus} tone="info" title="This signup link has already been used" message={error.message}>
          <p>Your Microsoft tenant is connected with it. If you think this is a mistake, or need to connect again, contact support.</p>
          <Actions supportFirst />
        </OutcomeView>
      );
    case 'LINK_CLAIMED_ELSEWHERE':
      return (
        <OutcomeView takeFocus={takeFocus} title="This signup link was started in another browser" message={error.message}>
          <p>
            Go back to the browser (or private window) where you first pressed Start. If that window is closed or you cannot reach it, request a new
            link: the old one then stops working everywhere.
          </p>
          <Actions />
        </OutcomeView>
      );
    case 'LINK_UNKNOWN':
      return (
        <OutcomeView takeFocus={takeFocus} title="We do not recognise this signup link" message={error.message}>
          <Actions />
        </OutcomeView>
      );
    case 'VALIDATION_FAILED':
      return <DamagedLink takeFocus={takeFocus} message={error.fields[0]?.message ?? error.message} />;
    default:
      return undefined;
  }
}

function Actions({ supportFirst = false }: { supportFirst?: boolean }) {
  return (
    <div className="button-row">
      <Link to="/help#new-signup-link" className={`button ${supportFirst ? 'button--secondary' : 'button--primary'}`}>
        Request a new signup link
      </Link>
      <Link to="/support" className={`button ${supportFirst ? 'button--primary' : 'button--secondary'}`}>
        Contact support
      </Link>
    </div>
  );
}

function DamagedLink({ message, takeFocus = false }: { message: string; takeFocus?: boolean }) {
  return (
    <OutcomeView takeFocus={takeFocus} title="This signup link is incomplete" message={message}>
      <p>Some mail programs break long links. Press the button in the email instead of copying the address, or copy the whole link in one piece.</p>
      <Actions />
    </OutcomeView>
  );
}

function MissingLink() {
  return (
    <OutcomeView tone="info" title="Open the signup link from your email" message="This page needs the one-time signup link from our email.">
      <p>
        For your security the link is removed from the address bar as soon as the page opens, so reloading this page cannot reuse it. Open the link
        from the email again. If you already pressed Start in this browser, you can <Link to="/connect">continue your signup</Link>.
      </p>
      <Actions />
    </OutcomeView>
  );
}
