import { useEffect, useState } from 'react';
import { useForm } from 'react-hook-form';
import type { z } from 'zod';
import type { emailOnlySchema } from '../../../contracts/signup.ts';
import { api, asApiError, type ApiError } from '../api.ts';
import type { AcceptedBody } from '../../../contracts/common.ts';
import { TextField } from '../components/form.tsx';
import { lazyResolver } from '../components/lazyResolver.ts';
import { ApiErrorNotice, Notice } from '../components/Notice.tsx';
import { Link, usePageTitle } from '../router.tsx';
import { credentialsApi } from './credentials/credentials-api.ts';

// Self-service help: a new confirmation email, or a new signup link. The server gives the same
// answer whether or not it knows the address, so this page simply shows that answer.

export function HelpPage() {
  usePageTitle('Help with your emails');
  useEffect(() => {
    // Other pages and emails link straight to one of the forms (/help#new-signup-link).
    const target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    if (target) {
      target.scrollIntoView();
      target.querySelector('input')?.focus({ preventScroll: true });
    }
  }, []);

  return (
    <div className="stack">
      <div className="page-intro">
        <h1>Help with your emails</h1>
        <p className="lead">
          Our emails usually arrive within a minute or two. If nothing has arrived after 10 minutes, look in your spam or quarantine folder, then ask for a
          new email below. Every new email replaces the previous link, so always use the most recent one.
        </p>
      </div>

      <div className="two-columns">
        <EmailRequestCard
          id="new-confirmation"
          title="Send a new confirmation email"
          description="For a signup whose email address is not confirmed yet. Use the primary contact's address from the signup form."
          buttonLabel="Send confirmation email"
          send={api.resendVerification}
        />
        <EmailRequestCard
          id="new-signup-link"
          title="Send a new signup link"
          description="For a confirmed signup that is not connected yet, or when the link expired or was started in the wrong browser. The new link is valid for 48 hours."
          buttonLabel="Send signup link"
          send={api.requestSignupLink}
        />
      </div>

      <EmailRequestCard
        id="update-credentials"
        title="Update your Microsoft secrets"
        description="For a connected company whose Partner Center web app secret or Entra app client secret ends soon or has ended. Use the primary contact's address: the one-time link to enter the new secret goes there (valid for 48 hours)."
        buttonLabel="Send me an update link"
        send={credentialsApi.requestByEmail}
      />

      <section className="card card--quiet" aria-labelledby="still-stuck">
        <h2 id="still-stuck">Still nothing?</h2>
        <p>
          If the new email does not arrive within 10 minutes either, your mail system may be filtering it. <Link to="/support">Contact support</Link>{' '}
          and we will help you personally.
        </p>
      </section>
    </div>
  );
}

type EmailForm = z.input<typeof emailOnlySchema>;

const validation = lazyResolver<EmailForm, z.output<typeof emailOnlySchema>>(() => import('./validation.ts').then((m) => m.emailOnlyResolver));

function EmailRequestCard({
  id,
  title,
  description,
  buttonLabel,
  send,
}: {
  id: string;
  title: string;
  description: string;
  buttonLabel: string;
  send: (email: string) => Promise<AcceptedBody>;
}) {
  const [answer, setAnswer] = useState<string>();
  const [failure, setFailure] = useState<ApiError>();
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors, isSubmitting },
  } = useForm<EmailForm, unknown, z.output<typeof emailOnlySchema>>({ resolver: validation.resolver, mode: 'onTouched', defaultValues: { email: '' } });

  async function submit(data: { email: string }) {
    setAnswer(undefined);
    setFailure(undefined);
    try {
      setAnswer((await send(data.email)).message);
    } catch (error) {
      const apiError = asApiError(error);
      const fieldProblem = apiError.fields.find((field) => field.path === 'email');
      if (fieldProblem) setError('email', { type: 'server', message: fieldProblem.message }, { shouldFocus: true });
      else setFailure(apiError);
    }
  }

  return (
    <section className="card" id={id} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      <p>{description}</p>
      <form noValidate onFocus={validation.preload} onSubmit={handleSubmit(submit)} aria-labelledby={`${id}-title`}>
        <TextField
          label="Email address"
          type="email"
          autoComplete="email"
          spellCheck={false}
          registration={register('email')}
          error={errors.email?.message}
          id={`${id}-email`}
        />
        <button type="submit" className="button button--primary" disabled={isSubmitting}>
          {isSubmitting ? 'Sending…' : buttonLabel}
        </button>
      </form>
      <div aria-live="polite" className="live-region">
        {answer ? (
          <Notice tone="success" live={false}>
            <p>{answer}</p>
          </Notice>
        ) : null}
      </div>
      {failure ? <ApiErrorNotice error={failure} /> : null}
    </section>
  );
}
