import type { ReactNode } from 'react';
import type { ApiError } from '../api.ts';
import { formatWait } from '../format.ts';
import { Link } from '../router.tsx';

type Tone = 'info' | 'success' | 'warning' | 'error';

/** A boxed message. Errors are announced as alerts, everything else as polite status. */
export function Notice({ tone, title, children, live = true }: { tone: Tone; title?: string; children?: ReactNode; live?: boolean }) {
  const role = !live ? undefined : tone === 'error' ? 'alert' : 'status';
  return (
    <div className={`notice notice--${tone}`} role={role}>
      {title ? <p className="notice__title">{title}</p> : null}
      {children}
    </div>
  );
}

/** An API failure that is not about a single field: rate limits, server trouble, no network. */
export function ApiErrorNotice({ error, title }: { error: ApiError; title?: string }) {
  const heading =
    title ??
    (error.code === 'RATE_LIMITED'
      ? 'Please wait a moment'
      : error.code === 'NETWORK'
        ? 'No connection'
        : error.status >= 500
          ? 'TotalOne could not finish this'
          : 'This did not work');
  // The server's own message usually says how long to wait already; add it only when it does not.
  const waitSeconds = error.code === 'RATE_LIMITED' && !/try again in/i.test(error.message) ? (error.retryAfterSeconds ?? 0) : 0;
  return (
    <Notice tone="error" title={heading}>
      <p>{error.message}</p>
      {waitSeconds ? <p>You can try again in {formatWait(waitSeconds)}.</p> : null}
      {error.status >= 500 ? (
        <p>
          If it keeps happening, <Link to="/support">contact support</Link>.
        </p>
      ) : null}
    </Notice>
  );
}
