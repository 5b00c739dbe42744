import { zodResolver } from '@hookform/resolvers/zod';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { totpCode } from '../../../contracts/operators.ts';
import { asApiError, type ApiError } from '../api.ts';
import { TextField, type FieldLabel } from '../components/form.tsx';
import { Notice } from '../components/Notice.tsx';
import { useFormFeedback } from '../components/useFormFeedback.ts';
import { useLinkToken } from '../link-token.ts';
import { Link } from '../router.tsx';
import { consoleApi, type InviteView, type TotpEnrolment } from './consoleApi.ts';
import { useConsoleTitle } from './session.ts';
import { groupSecret } from './fns.ts';
import { qrMatrix, qrSvgPath } from './qr.ts';
import { FormShell } from '../components/FormShell.tsx';
import { ApiErrorNotice, Loading, formatWhen } from './ui.tsx';

// /console/invite#token=...: the invitation from `npm run operator -- create` (or an admin). Opening
// it changes nothing (inspect); then the password, then the authenticator app, then one code to
// confirm. The token is read from the fragment once and taken out of the address bar.

type Stage = { kind: 'checking' } | { kind: 'refused'; error: ApiError } | { kind: 'password'; invite: InviteView } | { kind: 'totp'; invite: InviteView } | { kind: 'done'; message: string };

export function InvitePage() {
  const link = useLinkToken();
  const [stage, setStage] = useState<Stage>({ kind: 'checking' });
  const token = link.kind === 'present' ? link.token : undefined;

  useEffect(() => {
    if (!token) return;
    let current = true;
    consoleApi.inspectInvite(token).then(
      (invite) => current && setStage({ kind: invite.step, invite }),
      (error: unknown) => current && setStage({ kind: 'refused', error: asApiError(error) }),
    );
    return () => {
      current = false;
    };
  }, [token]);

  if (link.kind !== 'present') return <InviteProblem title="This invitation link is incomplete" message={link.kind === 'damaged' ? link.message : 'Open the link from your invitation email; it carries the invitation in the part after #.'} />;
  if (stage.kind === 'checking') return <Loading what="your invitation" />;
  if (stage.kind === 'refused') return <InviteProblem title={refusalTitle(stage.error.code)} message={stage.error.message} signIn={stage.error.code === 'INVITE_USED'} />;
  if (stage.kind === 'done') return <InviteDone message={stage.message} />;
  return (
    <div className="console-narrow stack">
      <div>
        <p className="eyebrow">Operator invitation</p>
        <h1>Set up your console account</h1>
        <p className="lead">
          For <strong>{stage.invite.email}</strong> as <strong>{stage.invite.role === 'admin' ? 'administrator' : 'support operator'}</strong>. The invitation works until {formatWhen(stage.invite.expiresAt)}.
        </p>
      </div>
      <ol className="setup-steps" aria-label="Set-up steps">
        <li className={stage.kind === 'password' ? 'setup-steps__item setup-steps__item--current' : 'setup-steps__item setup-steps__item--done'} aria-current={stage.kind === 'password' ? 'step' : undefined}>
          1. Password{stage.kind === 'totp' ? <span className="visually-hidden"> (done)</span> : null}
        </li>
        <li className={stage.kind === 'totp' ? 'setup-steps__item setup-steps__item--current' : 'setup-steps__item'} aria-current={stage.kind === 'totp' ? 'step' : undefined}>
          2. Authenticator app
        </li>
      </ol>
      {stage.kind === 'password' ? (
        <PasswordStep token={token!} invite={stage.invite} onDone={() => setStage({ kind: 'totp', invite: stage.invite })} />
      ) : (
        <TotpStep token={token!} onDone={(message) => setStage({ kind: 'done', message })} />
      )}
    </div>
  );
}

function refusalTitle(code: string): string {
  if (code === 'INVITE_USED') return 'This invitation has been used';
  if (code === 'INVITE_EXPIRED') return 'This invitation has expired';
  if (code === 'INVITE_REVOKED') return 'This invitation was replaced';
  if (code === 'INVITE_UNKNOWN') return 'We do not recognise this invitation';
  return 'This invitation cannot be used';
}

function InviteProblem({ title, message, signIn }: { title: string; message: string; signIn?: boolean }) {
  useConsoleTitle(title);
  return (
    <div className="console-narrow">
      <h1>{title}</h1>
      <p className="lead">{message}</p>
      {signIn ? (
        <Link to="/console/sign-in" className="button button--primary">
          Go to sign-in
        </Link>
      ) : (
        <p>An administrator can send a new invitation from the Operators page, or with <code>npm run operator -- invite --email &lt;address&gt;</code>.</p>
      )}
    </div>
  );
}

function InviteDone({ message }: { message: string }) {
  useConsoleTitle('Your console account is ready');
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <div className="console-narrow">
      <Notice tone="success" live={false}>
        <h1 ref={heading} tabIndex={-1} className="notice__heading">
          Your console account is ready
        </h1>
        <p>{message}</p>
      </Notice>
      <Link to="/console/sign-in" className="button button--primary">
        Sign in
      </Link>
    </div>
  );
}

const passwordForm = z.object({ password: z.string().min(1, { error: 'Choose a password.' }).max(256, { error: 'A password can be at most 256 characters.' }) });
const passwordFields: FieldLabel[] = [{ path: 'password' }];

function PasswordStep({ token, invite, onDone }: { token: string; invite: InviteView; onDone: () => void }) {
  useConsoleTitle('Set up your console account: password');
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors, isSubmitting, submitCount },
  } = useForm<z.infer<typeof passwordForm>>({ resolver: zodResolver(passwordForm), shouldFocusError: false, defaultValues: { password: '' } });
  const feedback = useFormFeedback(passwordFields, setError);
  const [shown, setShown] = useState(false);

  async function submit(data: { password: string }) {
    feedback.clearApiError();
    try {
      await consoleApi.setInvitePassword(token, data.password);
      onDone();
    } catch (error) {
      feedback.onFailure(error);
    }
  }

  return (
    <FormShell
      className="card form"
      labelledBy="password-step-title"
      heading={<h2 id="password-step-title">Choose a password</h2>}
      feedback={feedback}
      fields={passwordFields}
      errors={errors}
      submitCount={submitCount}
      onSubmit={handleSubmit(submit, feedback.onInvalid)}
      renderFailure={(error) => <ApiErrorNotice error={error} />}
    >
      <div className="callout" id="password-policy">
        <p className="callout__title">The password must</p>
        <ul>
          <li>have at least 12 characters (a few words with spaces work well),</li>
          <li>not be a common password,</li>
          <li>not contain your email address or the name before the @ ({invite.email.split('@')[0]}).</li>
        </ul>
      </div>
      <input type="text" name="username" autoComplete="username" value={invite.email} readOnly hidden />
      <TextField
        label="New password"
        type={shown ? 'text' : 'password'}
        autoComplete="new-password"
        spellCheck={false}
        registration={register('password')}
        error={errors.password?.message}
        hint="Use a password manager if you can."
      />
      <label className="console-check">
        <input type="checkbox" checked={shown} onChange={(event) => setShown(event.target.checked)} /> Show the password
      </label>
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={isSubmitting}>
          {isSubmitting ? 'Saving…' : 'Save password and continue'}
        </button>
      </div>
    </FormShell>
  );
}

const codeForm = z.object({ code: totpCode });
const codeFields: FieldLabel[] = [{ path: 'code' }];

function TotpStep({ token, onDone }: { token: string; onDone: (message: string) => void }) {
  useConsoleTitle('Set up your console account: authenticator app');
  const [enrolment, setEnrolment] = useState<TotpEnrolment>();
  const [startError, setStartError] = useState<ApiError>();
  const [starting, setStarting] = useState(false);
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors, isSubmitting, submitCount },
  } = useForm<z.input<typeof codeForm>, unknown, z.output<typeof codeForm>>({ resolver: zodResolver(codeForm), shouldFocusError: false, defaultValues: { code: '' } });
  const feedback = useFormFeedback(codeFields, setError);

  async function start() {
    setStarting(true);
    setStartError(undefined);
    try {
      setEnrolment(await consoleApi.startTotp(token));
    } catch (error) {
      setStartError(asApiError(error));
    } finally {
      setStarting(false);
    }
  }

  async function submit(data: { code: string }) {
    feedback.clearApiError();
    try {
      const done = await consoleApi.confirmTotp(token, data.code);
      onDone(done.message);
    } catch (error) {
      feedback.onFailure(error);
    }
  }

  if (!enrolment) {
    return (
      <section className="card" aria-labelledby="totp-start-title">
        <h2 id="totp-start-title">Add the console to your authenticator app</h2>
        <p>Every sign-in needs a 6-digit code from an authenticator app (Microsoft Authenticator, 1Password, Google Authenticator or similar) besides your password.</p>
        <p className="muted">The next screen shows the secret for the app once. Have the app ready; nobody else should see your screen.</p>
        {startError ? <ApiErrorNotice error={startError} /> : null}
        <button type="button" className="button button--primary" onClick={start} disabled={starting}>
          {starting ? 'Preparing…' : 'Show the secret for my app'}
        </button>
      </section>
    );
  }

  return (
    <FormShell
      className="card form"
      labelledBy="totp-title"
      heading={<h2 id="totp-title">Add the console to your authenticator app</h2>}
      feedback={feedback}
      fields={codeFields}
      errors={errors}
      submitCount={submitCount}
      onSubmit={handleSubmit(submit, feedback.onInvalid)}
      renderFailure={(error) => <ApiErrorNotice error={error} />}
    >
      <ol className="numbered">
        <li>In the app, add an account: scan the QR code, or choose to enter a setup key (or open the setup link on this device).</li>
        <li>
          Enter the key exactly as shown; the spaces do not matter. Account <strong>{enrolment.account}</strong>, issuer <strong>{enrolment.issuer}</strong>, time-based.
        </li>
        <li>Type the 6-digit code the app shows now.</li>
      </ol>
      <div className="secret-box">
        <QrCode text={enrolment.otpauthUri} />
      <dl className="secret-list">
        <div>
          <dt>Setup key</dt>
          <dd>
            <code className="secret" data-testid="totp-secret">
              {groupSecret(enrolment.secret)}
            </code>
          </dd>
        </div>
        <div>
          <dt>Setup link</dt>
          <dd>
            <a href={enrolment.otpauthUri} className="secret-uri">
              {enrolment.otpauthUri}
            </a>
          </dd>
        </div>
      </dl>
      </div>
      <p className="muted">This key is shown only now. If you lose it before confirming, reload this page from the invitation email to get a new one.</p>
      <TextField
        label="Code from the app"
        className="input input--short input--code"
        inputMode="numeric"
        autoComplete="one-time-code"
        spellCheck={false}
        registration={register('code')}
        error={errors.code?.message}
        hint="6 digits. A new one appears every 30 seconds."
      />
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={isSubmitting}>
          {isSubmitting ? 'Checking…' : 'Confirm and finish'}
        </button>
      </div>
    </FormShell>
  );
}

/** The setup link as a QR code for the phone's authenticator app (an SVG path: no inline style). */
function QrCode({ text }: { text: string }) {
  const { size, path } = useMemo(() => qrSvgPath(qrMatrix(text)), [text]);
  return (
    <figure className="qr">
      <svg className="qr__image" viewBox={`0 0 ${size} ${size}`} role="img" aria-label="QR code of the setup link" shapeRendering="crispEdges">
        <rect className="qr__light" x="0" y="0" width={size} height={size} />
        <path className="qr__dark" d={path} />
      </svg>
      <figcaption className="qr__caption">Scan with the app</figcaption>
    </figure>
  );
}
