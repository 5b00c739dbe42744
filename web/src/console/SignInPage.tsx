import { zodResolver } from '@hookform/resolvers/zod';
import { useForm } from 'react-hook-form';
import type { z } from 'zod';
import { signInSchema } from '../../../contracts/operators.ts';
import { FormShell } from '../components/FormShell.tsx';
import { TextField, type FieldLabel } from '../components/form.tsx';
import { Notice } from '../components/Notice.tsx';
import { useFormFeedback } from '../components/useFormFeedback.ts';
import { formatWait } from '../format.ts';
import { navigate } from '../router.tsx';
import { safeNext, signInNoteText } from './fns.ts';
import { consoleApi } from './consoleApi.ts';
import { useConsoleTitle } from './session.ts';

// /console/sign-in: email, password and the authenticator code, all three at once. Failures say
// plainly what happened: wrong details (with the lockout rule), a locked account, too many tries.

const fields: FieldLabel[] = [{ path: 'email' }, { path: 'password' }, { path: 'code' }];

export function SignInPage() {
  useConsoleTitle('Sign in to the operator console');
  const params = new URLSearchParams(location.search);
  const note = signInNoteText(params.get('note'));
  const expired = params.get('note') === 'expired';
  const next = safeNext(params.get('next'));
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors, isSubmitting, submitCount },
  } = useForm<z.input<typeof signInSchema>, unknown, z.output<typeof signInSchema>>({
    resolver: zodResolver(signInSchema),
    shouldFocusError: false,
    defaultValues: { email: '', password: '', code: '' },
  });
  const feedback = useFormFeedback(fields, setError);

  async function submit(data: z.output<typeof signInSchema>) {
    feedback.clearApiError();
    try {
      await consoleApi.signIn(data);
      navigate(next, { replace: true });
    } catch (error) {
      feedback.onFailure(error);
    }
  }

  const failure = feedback.apiError;
  return (
    <div className="console-narrow stack">
      <div>
        <p className="eyebrow">TotalOne staff only</p>
        <h1>Sign in to the operator console</h1>
      </div>
      {note && !failure ? (
        <Notice tone={expired ? 'warning' : 'info'} title={expired ? 'Session ended' : undefined}>
          <p>{note}</p>
        </Notice>
      ) : null}
      <FormShell
        className="card form"
        label="Sign in"
        feedback={feedback}
        fields={fields}
        errors={errors}
        submitCount={submitCount}
        onSubmit={handleSubmit(submit, feedback.onInvalid)}
        renderFailure={(failure) => (
          <Notice tone="error" title={failureTitle(failure.code)}>
            <p>{failure.message}</p>
            {(failure.code === 'ACCOUNT_LOCKED' || failure.code === 'RATE_LIMITED') && failure.retryAfterSeconds && !/try again in/i.test(failure.message) ? (
              <p>You can try again in {formatWait(failure.retryAfterSeconds)}.</p>
            ) : null}
          </Notice>
        )}
      >
        <TextField label="Email" type="email" autoComplete="username" spellCheck={false} registration={register('email')} error={errors.email?.message} />
        <TextField label="Password" type="password" autoComplete="current-password" registration={register('password')} error={errors.password?.message} />
        <TextField
          label="Authenticator code"
          className="input input--short input--code"
          inputMode="numeric"
          autoComplete="one-time-code"
          spellCheck={false}
          registration={register('code')}
          error={errors.code?.message}
          hint="The 6-digit code your authenticator app shows for TotalOne Console."
        />
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={isSubmitting}>
            {isSubmitting ? 'Signing in…' : 'Sign in'}
          </button>
          <p className="muted">After 5 failed attempts the account is locked for 15 minutes. Lost your authenticator? Ask an administrator for a new invitation.</p>
        </div>
      </FormShell>
    </div>
  );
}

function failureTitle(code: string): string {
  if (code === 'SIGN_IN_FAILED') return 'Sign-in failed';
  if (code === 'ACCOUNT_LOCKED') return 'Account locked';
  if (code === 'RATE_LIMITED') return 'Too many sign-in attempts';
  if (code === 'NETWORK') return 'No connection';
  return 'Sign-in did not work';
}
