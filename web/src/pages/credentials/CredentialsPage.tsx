import { useEffect, useRef, useState } from 'react';
import { useForm } from 'react-hook-form';
import type { z } from 'zod';
import type { credentialUpdateSchema } from '../../../../contracts/credentials.ts';
import { asApiError, type ApiError } from '../../api.ts';
import { errorAt, TextField, type FieldLabel } from '../../components/form.tsx';
import { FormShell } from '../../components/FormShell.tsx';
import { lazyResolver } from '../../components/lazyResolver.ts';
import { ApiErrorNotice, Notice } from '../../components/Notice.tsx';
import { useFormFeedback } from '../../components/useFormFeedback.ts';
import { formatDateTime } from '../../format.ts';
import { useLinkToken } from '../../link-token.ts';
import { Link, usePageTitle } from '../../router.tsx';
import { SecretField } from '../connect/SecretField.tsx';
import { BusyStatus } from '../connect/wizard.tsx';
import { credentialsApi, type CredentialLinkView, type CredentialUpdateForm, type CredentialUpdateState } from './credentials-api.ts';

// The primary contact's "update credentials" link (`/credentials#token=...`): a short wizard in the
// connect wizard's form shell. 1. Opening the link changes nothing (mail scanners open links too);
// Start binds it to this browser. 2. The new Partner Center web app secret and/or Entra client
// secret, checked live with Microsoft (a refusal shows at its field); the old ones stay in use
// until then. 3. Done: the status page.

type Output = z.output<typeof credentialUpdateSchema>;
const validation = lazyResolver<CredentialUpdateForm, Output>(() => import('./validation.ts').then((m) => m.credentialUpdateResolver));
const fields: FieldLabel[] = [{ path: 'webAppSecret' }, { path: 'secretExpiresOn' }, { path: 'clientSecret' }];

type State =
  | { kind: 'loading' }
  | { kind: 'inspected'; view: CredentialLinkView; token: string; starting: boolean; error?: ApiError }
  | { kind: 'form'; state: CredentialUpdateState }
  | { kind: 'failed'; error: ApiError }
  | { kind: 'no-link' };

export function CredentialsPage() {
  usePageTitle('Update your Microsoft secrets');
  const link = useLinkToken();
  const token = link.kind === 'present' ? link.token : undefined;
  const [state, setState] = useState<State>({ kind: 'loading' });

  useEffect(() => {
    let cancelled = false;
    const show = (next: State) => !cancelled && setState(next);
    if (token) {
      credentialsApi.inspect(token).then(
        (view) =>
          // This browser started the link before: carry on where it stopped.
          view.status === 'claimed_here'
            ? credentialsApi.claim(token).then((s) => show({ kind: 'form', state: s }), (error: unknown) => show({ kind: 'failed', error: asApiError(error) }))
            : show({ kind: 'inspected', view, token, starting: false }),
        (error: unknown) => show({ kind: 'failed', error: asApiError(error) }),
      );
    } else if (link.kind === 'damaged') {
      show({ kind: 'no-link' });
    } else {
      credentialsApi.state().then(
        (s) => show({ kind: 'form', state: s }),
        () => show({ kind: 'no-link' }),
      );
    }
    return () => {
      cancelled = true;
    };
  }, [token, link.kind]);

  async function start(current: Extract<State, { kind: 'inspected' }>) {
    setState({ ...current, starting: true, error: undefined });
    try {
      setState({ kind: 'form', state: await credentialsApi.claim(current.token) });
    } catch (error) {
      setState({ ...current, starting: false, error: asApiError(error) });
    }
  }

  if (state.kind === 'loading') {
    return (
      <section className="page narrow">
        <h1>Update your Microsoft secrets</h1>
        <p role="status" className="loading">
          Checking the link…
        </p>
      </section>
    );
  }
  if (state.kind === 'no-link' || state.kind === 'failed') {
    return (
      <section className="page narrow stack">
        <h1>{state.kind === 'failed' ? 'This update link cannot be used' : 'Open the link from your email'}</h1>
        {state.kind === 'failed' ? <ApiErrorNotice error={state.error} /> : null}
        <p>
          Nothing was changed. Ask for a new link on your status page, or by address on the <Link to="/help#update-credentials">help page</Link>; it goes to your primary
          contact. <Link to="/support">Contact support</Link> if you need help.
        </p>
      </section>
    );
  }
  if (state.kind === 'inspected') {
    const { view } = state;
    return (
      <section className="page narrow stack">
        <div className="page-intro">
          <p className="eyebrow">
            {view.reference} · Step 1 of 3
          </p>
          <h1>Update the Microsoft secrets of {view.companyName}</h1>
          <p className="lead">Give TotalOne a new Partner Center web app secret, a new client secret of the Entra app, or both.</p>
        </div>
        {state.error ? <ApiErrorNotice error={state.error} /> : null}
        <div className="card stack">
          <h2>Before you start</h2>
          <ol>
            <li>
              Create the new secret in the portal: Partner Center &gt; Account settings &gt; App management &gt; Web app &gt; <strong>Add key</strong>, or Entra admin
              center &gt; App registrations &gt; your app &gt; Certificates &amp; secrets &gt; <strong>New client secret</strong>. Copy its value.
            </li>
            <li>Keep the old secret: TotalOne checks the new one with Microsoft and keeps using the old one until then.</li>
            <li>Delete the old secret only after TotalOne confirms the change.</li>
          </ol>
          <p>
            <button type="button" className="button button--primary button--large" onClick={() => void start(state)} disabled={state.starting}>
              {state.starting ? 'Starting…' : 'Start'}
            </button>
          </p>
          <p className="muted small">
            The link works once, only in the browser where you press Start, until {formatDateTime(view.expiresAt)}. Opening it changed nothing.
          </p>
        </div>
      </section>
    );
  }
  return state.state.done ? <Done state={state.state} /> : <UpdateForm state={state.state} onDone={(s) => setState({ kind: 'form', state: s })} />;
}

function UpdateForm({ state, onDone }: { state: CredentialUpdateState; onDone(state: CredentialUpdateState): void }) {
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors, isSubmitting, submitCount },
  } = useForm<CredentialUpdateForm, unknown, Output>({
    resolver: validation.resolver,
    mode: 'onTouched',
    shouldFocusError: false,
    defaultValues: { webAppSecret: '', secretExpiresOn: '', clientSecret: '' },
  });
  const feedback = useFormFeedback(fields, setError);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus({ preventScroll: true }), []);

  async function submit(data: Output) {
    feedback.clearApiError();
    try {
      onDone(await credentialsApi.update({ webAppSecret: data.webAppSecret ?? '', clientSecret: data.clientSecret ?? '', secretExpiresOn: data.secretExpiresOn ?? '' }));
    } catch (error) {
      feedback.onFailure(error);
    }
  }

  const ends = (at: string | null) => (at ? `, ends ${formatDateTime(at)}` : '');
  return (
    <section className="page narrow stack">
      <div className="page-intro">
        <p className="eyebrow">
          {state.reference} · Step 2 of 3
        </p>
        <h1 ref={heading} tabIndex={-1}>
          New secrets for {state.companyName}
        </h1>
        <p className="lead">
          Enter the new value of one secret or both. When you press Check and save, we ask Microsoft with each new value first; only a value Microsoft accepts
          replaces the old one.
        </p>
      </div>
      <FormShell label="New secrets" feedback={feedback} fields={fields} errors={errors} submitCount={submitCount} onFocus={validation.preload} onSubmit={handleSubmit(submit, feedback.onInvalid)}>
        <fieldset className="card fieldset">
          <legend className="fieldset__legend">
            <span className="fieldset__title">Partner Center web app</span>
          </legend>
          <p className="fieldset__intro">
            Web App ID <span className="mono">{state.partnerCenterApp.appId}</span>; TotalOne now uses the secret beginning with{' '}
            <span className="mono">{state.partnerCenterApp.secretHint ?? '?'}</span>
            {ends(state.partnerCenterApp.endsAt)}.
          </p>
          <SecretField
            label="New Web App Secret"
            registration={register('webAppSecret')}
            error={errorAt(errors, 'webAppSecret')}
            hint="Partner Center > Account settings > App management > Web app > Add key: the key exactly as Partner Center showed it. Spaces around it are removed for you. Leave it empty to keep the current one."
          />
          <TextField
            label="New Web App Secret expires on"
            type="date"
            optional
            className="input input--date"
            registration={register('secretExpiresOn')}
            error={errorAt(errors, 'secretExpiresOn')}
            hint="Leave it empty: we read the date from Microsoft. Enter the date Partner Center shows next to the key only if we ask for it."
          />
        </fieldset>
        <fieldset className="card fieldset">
          <legend className="fieldset__legend">
            <span className="fieldset__title">Entra app registered for TotalOne</span>
          </legend>
          <p className="fieldset__intro">
            Application (client) ID <span className="mono">{state.entraApp.appId}</span>; TotalOne now uses the secret beginning with{' '}
            <span className="mono">{state.entraApp.secretHint ?? '?'}</span>
            {ends(state.entraApp.endsAt)}.
          </p>
          <SecretField
            label="New client secret"
            registration={register('clientSecret')}
            error={errorAt(errors, 'clientSecret')}
            hint="Entra admin center > App registrations > your app > Certificates & secrets: the new secret's Value (not its Secret ID). Leave it empty to keep the current one."
          />
        </fieldset>
        <div className="form-actions">
          <button type="submit" className="button button--primary button--large" disabled={isSubmitting}>
            Check and save
          </button>
          <BusyStatus busy={isSubmitting}>Checking with Microsoft…</BusyStatus>
        </div>
        <p className="muted small">This link works until {formatDateTime(state.linkExpiresAt)}.</p>
      </FormShell>
    </section>
  );
}

const NAMES = { partner_center_web_app_secret: 'the Partner Center web app secret', entra_client_secret: 'the client secret of the Entra app' } as const;

function Done({ state }: { state: CredentialUpdateState }) {
  const done = state.done!;
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus({ preventScroll: true }), []);
  return (
    <section className="page narrow stack">
      <div className="page-intro">
        <p className="eyebrow">
          {state.reference} · Step 3 of 3
        </p>
        <h1 ref={heading} tabIndex={-1}>
          TotalOne uses your new secret
        </h1>
      </div>
      <Notice tone="success" title="Saved">
        <p>
          Microsoft accepted {done.updated.map((f) => NAMES[f]).join(' and ') || 'the new secret'}, and TotalOne uses it from now on (saved {formatDateTime(done.at)}).
          {done.resumedImport ? ' The import of your customers, stopped by the old secret, runs again.' : ''} Both contacts get a confirmation email.
        </p>
      </Notice>
      <div className="card stack">
        <h2>What is left for you</h2>
        <p>
          Delete the old secret in the portal now. We remind your contacts before the new one ends
          {state.partnerCenterApp.endsAt ? ` (the Partner Center web app secret on ${formatDateTime(state.partnerCenterApp.endsAt)})` : ''}.
        </p>
        <p>
          <Link to="/status" className="button button--primary">
            Open my status page
          </Link>
        </p>
      </div>
    </section>
  );
}
