import { useForm } from 'react-hook-form';
import type { z } from 'zod';
import type { entraAppSchema, EntraAppInput } from '../../../../contracts/connect.ts';
import { api } from '../../api.ts';
import { errorAt, TextField, type FieldLabel } from '../../components/form.tsx';
import { FormShell } from '../../components/FormShell.tsx';
import { lazyResolver } from '../../components/lazyResolver.ts';
import { useFormFeedback } from '../../components/useFormFeedback.ts';
import { SecretField } from './SecretField.tsx';
import { SetupPanel } from './MicrosoftSetup.tsx';
import { BusyStatus, StepHeading, submitStep, type WizardActions } from './wizard.tsx';

// Step 3.2: the Entra app registration the partner created for TotalOne. The server checks it live
// with Microsoft (a token for Microsoft Graph with the four application permissions) and answers
// a problem at the field that causes it.

type Output = z.output<typeof entraAppSchema>;

const validation = lazyResolver<EntraAppInput, Output>(() => import('./validation.ts').then((m) => m.entraAppResolver));

const fields: FieldLabel[] = [{ path: 'tenant' }, { path: 'clientId' }, { path: 'clientSecret' }];

export function EntraAppStep({ actions }: { actions: WizardActions }) {
  const accepted = actions.state.entraApp;
  const changing = accepted !== null;
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors, isSubmitting, submitCount },
  } = useForm<EntraAppInput, unknown, Output>({
    resolver: validation.resolver,
    mode: 'onTouched',
    shouldFocusError: false,
    defaultValues: { tenant: accepted?.tenant ?? '', clientId: accepted?.clientId ?? '', clientSecret: '' },
  });
  const feedback = useFormFeedback(fields, setError);

  const submit = (data: Output) => submitStep(actions, feedback, () => api.saveEntraApp(data));

  return (
    <>
      <StepHeading step="entra_app">{changing ? 'Change the Entra app' : 'Entra app'}</StepHeading>
      <p>
        Enter the app you registered for TotalOne in your Microsoft Entra ID tenant (Step 2 of the guide). When you press Check and continue, we ask Microsoft for
        an access token with these details, so you know at once whether they work.
      </p>
      {changing ? null : (
        <p>
          Rather have it done for you? <strong>Set up Microsoft for me</strong>, below the form, registers the app with one administrator sign-in.
        </p>
      )}
      <details className="where">
        <summary>Where to find these values in the Entra admin center</summary>
        <ol>
          <li>
            Sign in to <span className="mono">entra.microsoft.com</span> as a Global Administrator. The <strong>Overview</strong> page shows your
            tenant&rsquo;s <strong>Primary domain</strong> and its <strong>Tenant ID</strong>.
          </li>
          <li>
            Open <strong>Identity &gt; Applications &gt; App registrations &gt; All applications</strong>, then the app you created for TotalOne (for example &ldquo;Total One App&rdquo;). Its{' '}
            <strong>Overview</strong> shows the <strong>Application (client) ID</strong>.
          </li>
          <li>
            In the same app, <strong>Certificates &amp; secrets</strong> lists its client secrets. Microsoft shows a secret&rsquo;s{' '}
            <strong>Value</strong> only right after you create it; the <strong>Secret ID</strong> next to it is not the secret. If you no longer have
            the value, create a new client secret and copy its value.
          </li>
          <li>
            Under <strong>API permissions</strong> the app needs the Microsoft Graph application permissions Directory.ReadWrite.All,
            Group.ReadWrite.All, RoleManagement.ReadWrite.Directory and User.ReadWrite.All, plus the delegated permission User.Read, with{' '}
            <strong>admin consent granted</strong> (green ticks in the Status column).
          </li>
        </ol>
      </details>

      <FormShell label="Entra app" feedback={feedback} fields={fields} errors={errors} submitCount={submitCount} onFocus={validation.preload} onSubmit={handleSubmit(submit, feedback.onInvalid)}>
        <div>
          <TextField
            label="Tenant"
            spellCheck={false}
            autoCapitalize="none"
            autoComplete="off"
            registration={register('tenant')}
            error={errorAt(errors, 'tenant')}
            hint="Your primary domain, for example contoso.onmicrosoft.com, or the Tenant ID (a GUID). Both are on the Overview page of the Entra admin center."
          />
          <TextField
            label="Web App Client ID"
            spellCheck={false}
            autoCapitalize="none"
            autoComplete="off"
            className="input input--guid"
            registration={register('clientId')}
            error={errorAt(errors, 'clientId')}
            hint="The Application (client) ID of your app registration: App registrations > your app > Overview."
          />
          <SecretField
            label="Client secret"
            registration={register('clientSecret')}
            error={errorAt(errors, 'clientSecret')}
            hint={
              changing
                ? `Enter the secret again (the one checked before began with ${accepted.secretHint}). Certificates & secrets > Client secrets, the Value column.`
                : 'The secret’s Value (not its Secret ID), from App registrations > your app > Certificates & secrets. Spaces around it are removed for you.'
            }
          />
        </div>
        <div className="form-actions">
          <button type="submit" className="button button--primary button--large" disabled={isSubmitting}>
            Check and continue
          </button>
          {changing ? (
            <button type="button" className="button button--secondary" onClick={actions.cancelEdit} disabled={isSubmitting}>
              Keep the current app
            </button>
          ) : null}
          <BusyStatus busy={isSubmitting}>Checking with Microsoft…</BusyStatus>
        </div>
      </FormShell>
      {changing ? null : <SetupPanel onContinue={() => void actions.reload()} />}
    </>
  );
}
