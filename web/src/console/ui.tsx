import { zodResolver } from '@hookform/resolvers/zod';
import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { reasonSchema } from '../../../contracts/operators.ts';
import { asApiError, type ApiError } from '../api.ts';
import { TextArea } from '../components/form.tsx';
import { Notice } from '../components/Notice.tsx';
import { formatWait } from '../format.ts';
import { keyLabel, stateLabel, stateTone } from './labels.ts';

// Small building blocks shared by the console pages.

const compact = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
const dayOnly = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });

export function formatWhen(iso: string | null | undefined, options: { day?: boolean } = {}): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return (options.day ? dayOnly : compact).format(date);
}

/** A date and time as a <time> element (machine-readable value, local display). */
export function When({ iso, day }: { iso: string | null | undefined; day?: boolean }) {
  if (!iso) return <span className="muted">—</span>;
  return <time dateTime={iso}>{formatWhen(iso, { day })}</time>;
}

export function StateBadge({ state }: { state: string }) {
  return <span className={`state-badge state-badge--${stateTone(state)}`}>{stateLabel(state)}</span>;
}

export function StatusText({ status, tone }: { status: string; tone?: 'good' | 'progress' | 'attention' | 'stopped' }) {
  const guessed = tone ?? (['sent', 'passed', 'completed', 'handled', 'active', 'claimed', 'spent'].includes(status) ? 'good' : ['failed', 'revoked', 'expired', 'disabled'].includes(status) ? 'attention' : 'progress');
  return <span className={`status-text status-text--${guessed}`}>{status.replace(/_/g, ' ')}</span>;
}

/**
 * An API failure in the console: what went wrong in a heading, the server's message, and how long
 * to wait when that is the point. (The partner pages' notice points to the partner support form,
 * which is no help to an operator.)
 */
export function ApiErrorNotice({ error, title }: { error: ApiError; title?: string }) {
  const heading =
    title ??
    (error.code === 'RATE_LIMITED'
      ? 'Please wait a moment'
      : error.code === 'NETWORK'
        ? 'No connection'
        : error.code === 'ACTION_NOT_AVAILABLE'
          ? 'Not possible now'
          : error.code === 'ADMIN_ONLY'
            ? 'Administrators only'
            : error.status >= 500
              ? 'The server could not finish this'
              : 'This did not work');
  const waitSeconds = (error.code === 'RATE_LIMITED' || error.code === 'ACCOUNT_LOCKED') && !/try again in/i.test(error.message) ? (error.retryAfterSeconds ?? 0) : 0;
  return (
    <Notice tone="error" title={heading}>
      <p>{error.message}</p>
      {waitSeconds ? <p>You can try again in {formatWait(waitSeconds)}.</p> : null}
      {error.status >= 500 ? <p>If it keeps happening, the server log has the details.</p> : null}
    </Notice>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

/** Loads on mount and whenever `key` changes; keeps the last data while reloading. */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let current = true;
    setLoading(true);
    loadRef.current().then(
      (value) => {
        if (!current) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (failure: unknown) => {
        if (!current) return;
        setError(asApiError(failure));
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [key, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  return { data, error, loading, reload };
}

export function Loading({ what }: { what: string }) {
  return (
    <p role="status" className="loading">
      Loading {what}…
    </p>
  );
}

/** Data, or the loading line, or the error: the usual three states of a panel. */
export function LoadedView<T>({ loaded, what, children }: { loaded: Loaded<T>; what: string; children: (data: T) => ReactNode }) {
  if (loaded.error && loaded.error.code !== 'CONSOLE_SESSION_REQUIRED') {
    return (
      <div>
        <ApiErrorNotice error={loaded.error} title={`Could not load ${what}`} />
        <button type="button" className="button button--secondary button--small" onClick={loaded.reload}>
          Try again
        </button>
      </div>
    );
  }
  if (loaded.data === undefined) return <Loading what={what} />;
  return <>{children(loaded.data)}</>;
}

/** "Showing 26–50 of 112" with Previous / Next. */
export function Pager({ total, limit, offset, onChange, label }: { total: number; limit: number; offset: number; onChange: (offset: number) => void; label: string }) {
  if (total === 0) return null;
  const last = Math.min(offset + limit, total);
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <p className="pager__status">
        Showing {offset + 1}–{last} of {total}
      </p>
      <div className="pager__buttons">
        <button type="button" className="button button--secondary button--small" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit))}>
          Previous page
        </button>
        <button type="button" className="button button--secondary button--small" disabled={last >= total} onClick={() => onChange(offset + limit)}>
          Next page
        </button>
      </div>
    </nav>
  );
}

const isoLike = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
/** Left out of short lists (the overview): browser strings and internal IDs. */
const briefHidden = /^(userAgent|user_agent|ip|.*Id|.*_id)$/;

/** A server message with ISO timestamps in it, the timestamps shown like every other date. */
export function readableMessage(message: string): string {
  return message.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, (iso) => formatWhen(iso));
}

/** The scrubbed details of an audit event, as short "key: value" pairs. */
export function Details({ details, brief }: { details: Record<string, unknown>; brief?: boolean }) {
  const entries = Object.entries(details).filter(([key, value]) => value !== null && value !== undefined && value !== '' && !(brief && briefHidden.test(key)));
  if (entries.length === 0) return null;
  return (
    <dl className="details">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{keyLabel(key)}</dt>
          <dd>{typeof value === 'string' && isoLike.test(value) ? formatWhen(value) : typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

type ReasonForm = z.input<typeof reasonSchema>;

/**
 * A confirmation in a modal <dialog> (focus stays inside, Escape cancels): what will happen, a
 * required reason for the audit log, Confirm and Cancel. `onConfirm` rejects to show the error.
 */
export function ReasonDialog({
  open,
  title,
  explain,
  confirmLabel,
  danger,
  reasonHint = 'Required. Goes into the audit log, e.g. “Partner says the email never arrived (ticket 123)”.',
  onConfirm,
  onClose,
  children,
}: {
  reasonHint?: string;
  open: boolean;
  title: string;
  explain: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: (reason: string) => Promise<void>;
  onClose: () => void;
  children?: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const fieldId = useId();
  const [failure, setFailure] = useState<ApiError>();
  const {
    register,
    handleSubmit,
    reset,
    formState: { errors, isSubmitting },
  } = useForm<ReasonForm, unknown, z.output<typeof reasonSchema>>({ resolver: zodResolver(reasonSchema), defaultValues: { reason: '' } });

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      // keepFieldsRef: a plain reset forgets the form's fields until the next render, and text
      // typed before it (the dialog shows at once) would be dropped, then wiped from the field.
      reset({ reason: '' }, { keepFieldsRef: true });
      setFailure(undefined);
      dialog.showModal();
    } else if (!open && dialog.open) dialog.close();
  }, [open, reset]);

  async function submit(data: { reason: string }) {
    setFailure(undefined);
    try {
      await onConfirm(data.reason);
      onClose();
    } catch (error) {
      setFailure(asApiError(error));
    }
  }

  // A dialog closed and at once opened again (the next action on the page) still gets the close
  // event of its closing: only the close event of a dialog that is closed closes it.
  function closed() {
    if (!ref.current?.open) onClose();
  }

  return (
    <dialog ref={ref} className="dialog" aria-labelledby={titleId} onClose={closed} onCancel={onClose}>
      <form noValidate onSubmit={handleSubmit(submit)} className="dialog__form">
        <h2 id={titleId} className="dialog__title">
          {title}
        </h2>
        <div className="dialog__explain">{explain}</div>
        {children}
        {failure ? <ApiErrorNotice error={failure} /> : null}
        <TextArea
          id={fieldId}
          label="Reason"
          rows={3}
          registration={register('reason')}
          error={errors.reason?.message}
          hint={reasonHint}
        />
        <div className="button-row dialog__actions">
          <button type="submit" className={`button ${danger ? 'button--danger' : 'button--primary'}`} disabled={isSubmitting}>
            {isSubmitting ? 'Working…' : confirmLabel}
          </button>
          <button type="button" className="button button--secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}

/**
 * A titled card of a console page: a section named by its heading, with an optional link or
 * button beside the heading.
 */
export function Card({ id, title, aside, className, children }: { id: string; title: ReactNode; aside?: ReactNode; className?: string; children?: ReactNode }) {
  const heading = <h2 id={`${id}-title`}>{title}</h2>;
  return (
    <section className={className ? `card ${className}` : 'card'} aria-labelledby={`${id}-title`}>
      {aside ? (
        <div className="card-head">
          {heading}
          {aside}
        </div>
      ) : (
        heading
      )}
      {children}
    </section>
  );
}
