import { useState } from 'react';
import { useForm } from 'react-hook-form';
import type { z } from 'zod';
import type { supportRequestSchema } from '../../../contracts/signup.ts';
import { api, type SupportRequestCreated } from '../api.ts';
import { TextArea, TextField, type FieldLabel } from '../components/form.tsx';
import { FormShell } from '../components/FormShell.tsx';
import { OutcomeView } from '../components/OutcomeView.tsx';
import { lazyResolver } from '../components/lazyResolver.ts';
import { useFormFeedback } from '../components/useFormFeedback.ts';
import { Link, usePageTitle } from '../router.tsx';

type SupportInput = z.input<typeof supportRequestSchema>;
type SupportOutput = z.output<typeof supportRequestSchema>;

const validation = lazyResolver<SupportInput, SupportOutput>(() => import('./validation.ts').then((m) => m.supportRequestResolver));

const fields: FieldLabel[] = [{ path: 'name' }, { path: 'email' }, { path: 'signupReference' }, { path: 'message' }];

export function SupportPage() {
  const [created, setCreated] = useState<SupportRequestCreated>();
  if (created) return <Received created={created} />;
  return <SupportForm onCreated={setCreated} />;
}

function SupportForm({ onCreated }: { onCreated: (created: SupportRequestCreated) => void }) {
  usePageTitle('Contact support');
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors, isSubmitting, submitCount },
  } = useForm<SupportInput, unknown, SupportOutput>({
    resolver: validation.resolver,
    mode: 'onTouched',
    shouldFocusError: false,
    defaultValues: { name: '', email: '', message: '', signupReference: '' },
  });
  const feedback = useFormFeedback(fields, setError);

  async function submit(data: SupportOutput) {
    feedback.clearApiError();
    try {
      onCreated(await api.createSupportRequest(data));
    } catch (error) {
      feedback.onFailure(error);
    }
  }

  return (
    <div className="narrow stack">
      <div className="page-intro">
        <h1>Contact support</h1>
        <p className="lead">Our onboarding team answers by email, usually within one business day.</p>
        <p className="muted">
          Waiting for a confirmation email or signup link? You can <Link to="/help">send it again yourself</Link> straight away.
        </p>
      </div>
      <FormShell className="card" label="Contact support" feedback={feedback} fields={fields} errors={errors} submitCount={submitCount} onFocus={validation.preload} onSubmit={handleSubmit(submit, feedback.onInvalid)}>
        <TextField label="Your name" autoComplete="name" registration={register('name')} error={errors.name?.message} />
        <TextField label="Email" type="email" autoComplete="email" spellCheck={false} registration={register('email')} error={errors.email?.message} hint="We answer to this address." />
        <TextField
          label="Signup reference"
          optional
          className="input input--medium"
          spellCheck={false}
          autoCapitalize="characters"
          registration={register('signupReference')}
          error={errors.signupReference?.message}
          hint="If you have one, for example TO-7K3M-9QXD: our emails about your signup carry it."
        />
        <TextArea label="How can we help?" rows={7} registration={register('message')} error={errors.message?.message} hint="Tell us what you tried and what happened. Never send passwords or secrets." />
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={isSubmitting}>
            {isSubmitting ? 'Sending…' : 'Send message'}
          </button>
        </div>
      </FormShell>
    </div>
  );
}

function Received({ created }: { created: SupportRequestCreated }) {
  return (
    <OutcomeView tone="success" takeFocus title="Your message has reached us" message={created.message}>
      <dl className="facts">
        <div>
          <dt>Your support reference</dt>
          <dd className="reference">{created.reference}</dd>
        </div>
      </dl>
      <p>Quote this reference if you write to us again about the same matter.</p>
      <Link to="/" className="button button--secondary">
        Back to the start page
      </Link>
    </OutcomeView>
  );
}
