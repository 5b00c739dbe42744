import { useEffect, useState } from 'react';
import { asApiError, type ApiError } from '../../api.ts';
import { ApiErrorNotice, Notice } from '../../components/Notice.tsx';
import { formatDateTime } from '../../format.ts';
import { useLinkToken } from '../../link-token.ts';
import { Link, usePageTitle } from '../../router.tsx';
import { statusApi, type OffboardingView, type Offboarded } from './status-api.ts';

// The primary contact's confirmation link (`/offboard#token=...`). Opening it changes nothing
// (mail scanners open links too); only the button disconnects the company, for good.

type State = { kind: 'loading' } | { kind: 'ready'; view: OffboardingView; working: boolean; error?: ApiError } | { kind: 'done'; result: Offboarded } | { kind: 'failed'; error: ApiError };

export function OffboardPage() {
  usePageTitle('Disconnect from TotalOne');
  const link = useLinkToken();
  const [state, setState] = useState<State>({ kind: 'loading' });
  const token = link.kind === 'present' ? link.token : undefined;

  useEffect(() => {
    if (!token) return;
    statusApi.inspectOffboarding(token).then(
      (view) => setState({ kind: 'ready', view, working: false }),
      (error: unknown) => setState({ kind: 'failed', error: asApiError(error) }),
    );
  }, [token]);

  if (link.kind !== 'present') {
    return (
      <section className="page narrow">
        <h1>This link is incomplete</h1>
        <p>Open the link from the most recent confirmation email, or copy the whole address into your browser.</p>
      </section>
    );
  }

  async function confirm(view: OffboardingView) {
    setState({ kind: 'ready', view, working: true });
    try {
      setState({ kind: 'done', result: await statusApi.confirmOffboarding(link.kind === 'present' ? link.token : '') });
    } catch (error) {
      setState({ kind: 'ready', view, working: false, error: asApiError(error) });
    }
  }

  if (state.kind === 'loading') return <p role="status">Checking the link…</p>;
  if (state.kind === 'failed') {
    return (
      <section className="page narrow stack">
        <h1>This confirmation link cannot be used</h1>
        <ApiErrorNotice error={state.error} />
        <p>
          Nothing was changed. <Link to="/support">Contact support</Link> if you need help.
        </p>
      </section>
    );
  }
  if (state.kind === 'done') {
    return (
      <section className="page narrow stack">
        <h1>{state.result.companyName} is disconnected</h1>
        <Notice tone="success" title="Done">
          <p>
            TotalOne no longer reads your Microsoft tenant and every credential you gave it is destroyed. Your imported customers and contact details are deleted on{' '}
            {formatDateTime(state.result.deleteAfter)}. Both contacts get a confirmation email.
          </p>
        </Notice>
      </section>
    );
  }
  const { view } = state;
  return (
    <section className="page narrow stack">
      <div className="page-intro">
        <p className="eyebrow">{view.reference}</p>
        <h1>Disconnect {view.companyName} from TotalOne?</h1>
        <p className="lead">This cannot be undone. Coming back later means signing up again.</p>
      </div>
      {state.error ? <ApiErrorNotice error={state.error} /> : null}
      <div className="card stack">
        <ul>
          <li>TotalOne stops reading your Microsoft tenant at once.</li>
          <li>Every credential you gave TotalOne (the app secrets and the stored sign-in) is destroyed.</li>
          <li>Your imported customers and contact details are deleted after the retention period; the record of what happened is kept.</li>
          <li>Both contacts get a confirmation email.</li>
        </ul>
        <p>
          <button type="button" className="button button--primary" onClick={() => void confirm(view)} disabled={state.working}>
            {state.working ? 'Disconnecting…' : 'Disconnect for good'}
          </button>
        </p>
        <p className="muted small">This link works once, until {formatDateTime(view.expiresAt)}. Nothing happens until you press the button.</p>
      </div>
    </section>
  );
}
