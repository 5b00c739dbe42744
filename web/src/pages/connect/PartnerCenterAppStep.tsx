import { useForm } from 'react-hook-form';
import type { z } from 'zod';
import type { partnerCenterAppSchema, PartnerCenterAppInput } from '../../../../contracts/connect.ts';
import { api } from '../../api.ts';
import { errorAt, TextField, type FieldLabel } from '../../components/form.tsx';
import { FormShell } from '../../components/FormShell.tsx';
import { lazyResolver } from '../../components/lazyResolver.ts';
import { useFormFeedback } from '../../components/useFormFeedback.ts';
import { AcceptedEntraApp } from './Accepted.tsx';
import { isoDay } from './dates.ts';
import { ReplyAddress } from './ReplyAddress.tsx';
import { SecretField } from './SecretField.tsx';
import { LastSetupRecord } from './MicrosoftSetup.tsx';
import { BusyStatus, StepHeading, submitStep, type WizardActions } from './wizard.tsx';

// Step 3.3: the Partner Center web app (ID, secret, its expiry) and the native app. The server
// resolves both IDs in the partner's tenant (so IDs in the wrong field get a precise answer) and
// asks Microsoft for a Partner Center token with the web app.

type Output = z.output<typeof partnerCenterAppSchema>;

const validation = lazyResolver<PartnerCenterAppInput, Output>(() => import('./validation.ts').then((m) => m.partnerCenterAppResolver));

const fields: FieldLabel[] = [{ path: 'webAppId' }, { path: 'webAppSecret' }, { path: 'secretExpiresOn' }, { path: 'nativeAppId' }];

export function PartnerCenterAppStep({ actions }: { actions: WizardActions }) {
  const { entraApp, partnerCenterApp: accepted } = actions.state;
  const changing = accepted !== null;
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors, isSubmitting, submitCount },
  } = useForm<PartnerCenterAppInput, unknown, Output>({
    resolver: validation.resolver,
    mode: 'onTouched',
    shouldFocusError: false,
    defaultValues: {
      webAppId: accepted?.webAppId ?? '',
      webAppSecret: '',
      // Read from Microsoft with the secret: typed only when Microsoft cannot tell.
      secretExpiresOn: '',
      nativeAppId: accepted?.nativeAppId ?? '',
    },
  });
  const feedback = useFormFeedback(fields, setError);

  const submit = (data: Output) => submitStep(actions, feedback, () => api.savePartnerCenterApp(data));

  return (
    <>
      <StepHeading step="partner_center_app">{changing ? 'Change the Partner Center app' : 'Partner Center app'}</StepHeading>
      {entraApp ? <AcceptedEntraApp entraApp={entraApp} onChange={isSubmitting ? undefined : actions.edit} /> : null}
      <LastSetupRecord />
      <p>
        Now the two apps from Partner Center. We look both IDs up in your tenant and ask Microsoft for a Partner Center token with the web app, so a
        mix-up shows before you go on.
      </p>
      <details className="where">
        <summary>Where to find these values in Partner Center</summary>
        <ol>
          <li>
            Sign in to <span className="mono">partner.microsoft.com</span> with an account that is Global Administrator, open the settings (gear icon,
            top right) and choose <strong>Account settings</strong>, then <strong>App management</strong>.
          </li>
          <li>
            Under <strong>Web app</strong>, copy the <strong>App ID</strong>. Below it, <strong>Add key</strong> creates a secret: copy the key as soon
            as it appears (Partner Center shows it once). Choose the longest validity, two years; you need not note the expiry date, we read it
            from Microsoft.
          </li>
          <li>
            Under <strong>Native app</strong>, copy its <strong>App ID</strong>. It is a different app from the web app.
          </li>
        </ol>
        <p>
          Keep the Web App Secret in your password manager: TotalOne stores it only encrypted, and it is also the root of the keys that protect your
          credentials here. Nobody at TotalOne can read it or recover it for you.
        </p>
      </details>

      <section className="reply-address-section" aria-labelledby="reply-address-title">
        <h3 id="reply-address-title">The reply address on the web app</h3>
        <p>
          The sign-in in the next part uses the Partner Center web app, and Microsoft sends you back to TotalOne only to a reply address registered
          on it. Register this address now if you have not done so in Step 2; we check it before the sign-in starts.
        </p>
        <ReplyAddress address={actions.state.replyAddress} />
      </section>

      <FormShell label="Partner Center app" feedback={feedback} fields={fields} errors={errors} submitCount={submitCount} onFocus={validation.preload} onSubmit={handleSubmit(submit, feedback.onInvalid)}>
        <div>
          <TextField
            label="Web App ID"
            spellCheck={false}
            autoCapitalize="none"
            autoComplete="off"
            className="input input--guid"
            registration={register('webAppId')}
            error={errorAt(errors, 'webAppId')}
            hint="Partner Center > Account settings > App management > Web app, the App ID."
          />
          <SecretField
            label="Web App Secret"
            registration={register('webAppSecret')}
            error={errorAt(errors, 'webAppSecret')}
            hint={
              changing
                ? `Enter the secret again (the one checked before began with ${accepted.secretHint}).`
                : 'The key you added under Web app, exactly as Partner Center showed it. Spaces around it are removed for you.'
            }
          />
          <TextField
            label="Web App Secret expires on"
            type="date"
            optional
            className="input input--date"
            registration={register('secretExpiresOn')}
            error={errorAt(errors, 'secretExpiresOn')}
            hint="Leave it empty: when you press Check and continue we read the date from Microsoft and show it above for you to confirm. Enter the date Partner Center shows next to the key only if we ask for it. We remind your primary contact before it runs out."
          />
          <TextField
            label="Native App ID"
            spellCheck={false}
            autoCapitalize="none"
            autoComplete="off"
            className="input input--guid"
            registration={register('nativeAppId')}
            error={errorAt(errors, 'nativeAppId')}
            hint="Partner Center > Account settings > App management > Native app, the App ID."
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
    </>
  );
}
