import { useEffect, useRef, useState } from 'react';
import { useForm, type FieldErrors, type UseFormRegister } from 'react-hook-form';
import type { z } from 'zod';
import { countryOptions } from '../../../contracts/countries.ts';
import type { signupRequestSchema } from '../../../contracts/signup.ts';
import { api } from '../api.ts';
import { errorAt, SelectField, TextField, type FieldLabel } from '../components/form.tsx';
import { FormShell } from '../components/FormShell.tsx';
import { Notice } from '../components/Notice.tsx';
import { lazyResolver } from '../components/lazyResolver.ts';
import { useFormFeedback } from '../components/useFormFeedback.ts';
import { Link, usePageTitle } from '../router.tsx';

type SignupInput = z.input<typeof signupRequestSchema>;
type SignupOutput = z.output<typeof signupRequestSchema>;
type ContactKey = 'primaryContact' | 'secondaryContact';

const validation = lazyResolver<SignupInput, SignupOutput>(() => import('./validation.ts').then((m) => m.signupResolver));

const emptyContact = { firstName: '', lastName: '', jobTitle: '', email: '', phone: '' };

// The contract's messages name their field; the summary adds which contact a message is about.
const companyFields: FieldLabel[] = ['legalName', 'country', 'street', 'postalCode', 'city', 'taxId', 'website', 'mpnId', 'entraDomain'].map((field) => ({
  path: `company.${field}`,
}));
const contactFields = (key: ContactKey, who: string): FieldLabel[] =>
  (['firstName', 'lastName', 'jobTitle', 'email', 'phone'] as const).map((field) => ({ path: `${key}.${field}`, label: who }));
const allFields = [...companyFields, ...contactFields('primaryContact', 'Primary contact'), ...contactFields('secondaryContact', 'Secondary contact')];

export function SignupPage() {
  const [accepted, setAccepted] = useState<{ message: string; email: string }>();
  usePageTitle(accepted ? 'Check your inbox' : 'Sign up');
  return accepted ? <SignupAccepted message={accepted.message} email={accepted.email} /> : <SignupForm onAccepted={setAccepted} />;
}

function SignupForm({ onAccepted }: { onAccepted: (result: { message: string; email: string }) => void }) {
  const [hasSecondary, setHasSecondary] = useState(false);
  const {
    register,
    handleSubmit,
    setError,
    setValue,
    clearErrors,
    setFocus,
    formState: { errors, isSubmitting, submitCount },
  } = useForm<SignupInput, unknown, SignupOutput>({
    resolver: validation.resolver,
    mode: 'onTouched',
    shouldFocusError: false,
    defaultValues: {
      company: { legalName: '', country: '', street: '', postalCode: '', city: '', taxId: '', website: '', mpnId: '', entraDomain: '' },
      primaryContact: emptyContact,
      secondaryContact: null,
    },
  });
  const feedback = useFormFeedback(allFields, setError);

  async function submit(data: SignupOutput) {
    feedback.clearApiError();
    try {
      const result = await api.submitSignup(data);
      onAccepted({ message: result.message, email: data.primaryContact.email });
    } catch (error) {
      feedback.onFailure(error);
    }
  }

  function toggleSecondary(show: boolean) {
    if (show) {
      setValue('secondaryContact', { ...emptyContact });
      setHasSecondary(true);
      // Focus the first new field once it is on the page.
      setTimeout(() => setFocus('secondaryContact.firstName'), 0);
    } else {
      setValue('secondaryContact', null);
      clearErrors('secondaryContact');
      setHasSecondary(false);
      setTimeout(() => document.getElementById('add-secondary')?.focus(), 0);
    }
  }

  const text = (path: Parameters<typeof register>[0]) => ({ registration: register(path), error: errorAt(errors, path) });

  return (
    <>
      <div className="page-intro">
        <p className="eyebrow">Step 1 of 3</p>
        <h1>Sign up your company</h1>
        <p className="lead">
          Tell us who you are and who we should talk to. We then send a confirmation email to your primary contact; after that, a one-time signup
          link follows for connecting your Microsoft tenant.
        </p>
        <p className="muted">All fields are required unless marked optional. It takes about five minutes.</p>
      </div>

      <FormShell label="Company signup" feedback={feedback} fields={allFields} errors={errors} submitCount={submitCount} onFocus={validation.preload} onSubmit={handleSubmit(submit, feedback.onInvalid)}>

        <fieldset className="card fieldset">
          <legend className="fieldset__legend">
            <span className="fieldset__title">Company</span>
          </legend>
          <p className="fieldset__intro">Use the details registered for your company and its Microsoft partner account.</p>
          <TextField label="Legal company name" autoComplete="organization" {...text('company.legalName')} hint="As registered, for example Contoso Cloud GmbH." />
          <SelectField label="Country" autoComplete="country" {...text('company.country')}>
            <option value="">Choose a country</option>
            {countryOptions.map((country) => (
              <option key={country.code} value={country.code}>
                {country.name}
              </option>
            ))}
          </SelectField>
          <TextField label="Street and number" autoComplete="address-line1" {...text('company.street')} />
          <div className="field-row">
            <TextField label="Postal code" autoComplete="postal-code" className="input input--short" {...text('company.postalCode')} />
            <TextField label="City" autoComplete="address-level2" {...text('company.city')} />
          </div>
          <TextField label="VAT or tax ID" {...text('company.taxId')} hint="For example DE123456789." spellCheck={false} />
          <TextField label="Website" optional inputMode="url" spellCheck={false} autoComplete="url" {...text('company.website')} hint="For example www.contoso.com." />
          <TextField
            label="Microsoft Partner ID (MPN ID)"
            inputMode="numeric"
            className="input input--medium"
            {...text('company.mpnId')}
            hint="6 to 10 digits. Find it in Partner Center under Account settings, then Identifiers."
          />
          <TextField
            label="Entra primary domain"
            spellCheck={false}
            autoCapitalize="none"
            {...text('company.entraDomain')}
            hint="Your tenant's initial domain, ending in .onmicrosoft.com, for example contoso.onmicrosoft.com (Entra admin center, Overview)."
          />
        </fieldset>

        <fieldset className="card fieldset">
          <legend className="fieldset__legend">
            <span className="fieldset__title">Primary contact</span>
          </legend>
          <div className="callout" id="primary-contact-why">
            <p className="callout__title">Why the primary contact matters</p>
            <p>
              Every notification from the TotalOne platform goes to this person first: the confirmation email and the signup link of this signup, and
              later all updates, changes and reminders about your account (for example when a Microsoft secret is about to expire). Choose someone who
              reads their email and can act on it.
            </p>
          </div>
          <ContactFields keyName="primaryContact" register={register} errors={errors} />
        </fieldset>

        {hasSecondary ? (
          <fieldset className="card fieldset">
            <legend className="fieldset__legend">
              <span className="fieldset__title">Secondary contact</span> <span className="field__optional">(optional)</span>
            </legend>
            <p className="fieldset__intro">A deputy we may contact when the primary contact is not available. It needs an email address of its own.</p>
            <ContactFields keyName="secondaryContact" register={register} errors={errors} />
            <button type="button" className="button button--secondary" onClick={() => toggleSecondary(false)}>
              Remove secondary contact
            </button>
          </fieldset>
        ) : (
          <div className="card card--quiet">
            <p className="muted">Optionally, name a deputy who can stand in for the primary contact.</p>
            <button type="button" id="add-secondary" className="button button--secondary" onClick={() => toggleSecondary(true)}>
              Add a secondary contact
            </button>
          </div>
        )}

        <div className="form-actions">
          <button type="submit" className="button button--primary button--large" disabled={isSubmitting}>
            {isSubmitting ? 'Submitting…' : 'Submit signup'}
          </button>
          <p className="muted">
            By submitting you ask us to contact the people named above about this signup. Questions? <Link to="/support">Contact support</Link>.
          </p>
        </div>
      </FormShell>
    </>
  );
}

function ContactFields({ keyName, register, errors }: { keyName: ContactKey; register: UseFormRegister<SignupInput>; errors: FieldErrors<SignupInput> }) {
  const text = (field: 'firstName' | 'lastName' | 'jobTitle' | 'email' | 'phone') => ({
    registration: register(`${keyName}.${field}`),
    error: errorAt(errors, `${keyName}.${field}`),
  });
  const section = keyName === 'primaryContact' ? 'section-primary' : 'section-secondary';
  return (
    <>
      <div className="field-row">
        <TextField label="First name" autoComplete={`${section} given-name`} {...text('firstName')} />
        <TextField label="Last name" autoComplete={`${section} family-name`} {...text('lastName')} />
      </div>
      <TextField label="Job title" autoComplete={`${section} organization-title`} {...text('jobTitle')} />
      <TextField label="Email" type="email" autoComplete={`${section} email`} spellCheck={false} {...text('email')} hint="A personal work address is best; shared mailboxes also work." />
      <TextField label="Phone" type="tel" autoComplete={`${section} tel`} {...text('phone')} hint="With the area code, for example 030 1234567 in Germany. For a number in another country, start with + and its country code." />
    </>
  );
}

function SignupAccepted({ message, email }: { message: string; email: string }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    window.scrollTo(0, 0);
    headingRef.current?.focus();
  }, []);
  return (
    <div className="stack">
      <div className="page-intro">
        <p className="eyebrow">Step 1 of 3</p>
        <h1 ref={headingRef} tabIndex={-1}>
          Check your inbox
        </h1>
        <Notice tone="success" title="Signup received">
          <p>{message}</p>
          <p>
            It goes to the primary contact address you entered: <strong>{email}</strong>.
          </p>
        </Notice>
      </div>

      <section className="card" aria-labelledby="next-heading">
        <h2 id="next-heading">What happens next</h2>
        <ol className="steps-list">
          <li>
            <strong>Confirm the email address.</strong> Open our email “Confirm your email address for …” and press <em>Verify email</em>. The link opens a page
            here with one more button to press.
          </li>
          <li>
            <strong>Receive your signup link.</strong> Right after that, a second email brings your one-time signup link. It is valid for 48 hours
            and works in one browser only.
          </li>
          <li>
            <strong>Prepare Microsoft before you open it.</strong> Set up the service account and the apps described in{' '}
            <Link to="/#prepare-microsoft">Step 2</Link>, then open the signup link in a private browser window.
          </li>
        </ol>
      </section>

      <section className="card" aria-labelledby="no-email-heading">
        <h2 id="no-email-heading">No email within 10 minutes?</h2>
        <p>Look in your spam or quarantine folder first. Then:</p>
        <ul>
          <li>
            <Link to="/help">Send a new confirmation email</Link> to the same address (earlier links then stop working), or
          </li>
          <li>
            <Link to="/support">contact support</Link> and we will look into it.
          </li>
        </ul>
      </section>
    </div>
  );
}
