import { z } from 'zod';
import { isStorableText, unstorableMessage } from './common.ts';

// Step 3 of the partner journey (connect the Microsoft tenant), shared by server and web.

export const legalDocumentSchema = z.enum(['terms_of_use', 'privacy_policy']);

export const legalTextsSchema = z.object({
  documents: z.array(
    z.object({ document: legalDocumentSchema, title: z.string(), version: z.string(), sha256: z.string(), content: z.string() }),
  ),
});

export const termsAcceptanceSchema = z.object({
  accepted: z.literal(true, { error: 'Tick the box to confirm that you accept the Terms of Use and the Privacy Policy.' }),
  documents: z
    .array(
      z.object({
        document: legalDocumentSchema,
        version: z.string().trim().min(1).max(20).refine(isStorableText, { error: unstorableMessage('The document version') }),
        sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'The document fingerprint is damaged; reload the page.' }),
      }),
    )
    .min(1)
    .max(2),
});
export type TermsAcceptance = z.infer<typeof termsAcceptanceSchema>;

export const connectProgressSchema = z.object({
  companyName: z.string(),
  reference: z.string(),
  state: z.string(),
  linkExpiresAt: z.iso.datetime(),
  terms: z.object({
    accepted: z.boolean(),
    acceptedAt: z.iso.datetime().nullable(),
    documents: z.array(z.object({ document: legalDocumentSchema, version: z.string() })),
  }),
});
export type ConnectProgress = z.infer<typeof connectProgressSchema>;

const guid = (label: string, where: string) =>
  z
    .string({ error: `${label} is required.` })
    .trim()
    .toLowerCase()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, { error: `${label} is a GUID like 1b2c3d4e-0000-4a5b-8c9d-0123456789ab; copy it from ${where}.` });

const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Copy/paste adds spaces; a GUID in a secret field is the secret's ID, not its value. */
export const secretValue = (label: string, where: string) =>
  z
    .string({ error: `${label} is required.` })
    .trim()
    .min(1, { error: `${label} is required.` })
    .max(256, { error: `${label} can be at most 256 characters; check that only the secret was pasted.` })
    .refine((v) => !GUID_PATTERN.test(v), { error: `This looks like the secret\u2019s ID, not its value. In ${where}, copy the Value column (shown only right after the secret is created), or create a new secret.` })
    .refine((v) => v.length >= 16 && !/\s/.test(v), { error: `${label} is too short or contains spaces; paste the whole value exactly as Microsoft showed it.` })
    .refine(isStorableText, { error: unstorableMessage(label) });

export const tenantInput = z
  .string({ error: 'Tenant is required.' })
  .trim()
  .toLowerCase()
  .max(100)
  .refine((v) => GUID_PATTERN.test(v) || /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9-]+)+$/.test(v), {
    error: 'Enter your tenant\u2019s primary domain (e.g. contoso.onmicrosoft.com) or its Tenant ID (a GUID from the Entra admin center > Overview).',
  });

export const entraAppSchema = z.object({
  tenant: tenantInput,
  clientId: guid('Web App Client ID', 'Entra admin center > App registrations > your app > Overview ("Application (client) ID")'),
  clientSecret: secretValue('Client secret', 'Entra admin center > App registrations > your app > Certificates & secrets'),
});
export type EntraAppInput = z.input<typeof entraAppSchema>;

// The same ID in both fields is judged by the server, which looks the app up in the partner's
// directory and answers at the field that holds the wrong one.
export const partnerCenterAppSchema = z.object({
  webAppId: guid('Web App ID', 'Partner Center > Account settings > App management > Web app'),
  webAppSecret: secretValue('Web App Secret', 'Partner Center > Account settings > App management > Web app > Keys'),
  /** Empty: read from Microsoft (the web app's key with the same first characters). */
  secretExpiresOn: z.union([z.literal(''), z.iso.date({ error: 'Enter the secret\u2019s expiry date as shown in Partner Center (YYYY-MM-DD), or leave it empty.' })]).optional().transform((v) => v || undefined),
  nativeAppId: guid('Native App ID', 'Partner Center > Account settings > App management > Native app'),
});
export type PartnerCenterAppInput = z.input<typeof partnerCenterAppSchema>;

export const preflightCheckSchema = z.object({
  id: z.string(),
  title: z.string(),
  status: z.enum(['passed', 'failed', 'warning', 'unknown']),
  required: z.boolean(),
  found: z.string(),
  fix: z.string().optional(),
});
export type PreflightCheckView = z.infer<typeof preflightCheckSchema>;

export const connectStepSchema = z.enum(['terms', 'entra_app', 'partner_center_app', 'sign_in', 'preflight', 'done']);

export const connectStateSchema = connectProgressSchema.extend({
  step: connectStepSchema,
  entraApp: z.object({ tenant: z.string(), tenantId: z.string(), clientId: z.string(), secretHint: z.string() }).nullable(),
  partnerCenterApp: z.object({ webAppId: z.string(), nativeAppId: z.string(), secretHint: z.string(), secretExpiresOn: z.string() }).nullable(),
  /** Where Microsoft sends the browser back: registered on the Partner Center web app as a Web redirect URI. */
  replyAddress: z.string(),
  signIn: z
    .object({
      upn: z.string().nullable(),
      mfaPerformed: z.boolean(),
      signedInAt: z.iso.datetime().nullable(),
      error: z.object({ code: z.string(), message: z.string() }).nullable(),
      /** A sign-in sent to Microsoft whose answer never arrived (Microsoft stopped it on its own page, or the partner went back). */
      unfinishedSince: z.iso.datetime().nullable(),
    })
    .nullable(),
  preflight: z.object({ ranAt: z.iso.datetime(), allRequiredPassed: z.boolean(), checks: z.array(preflightCheckSchema) }).nullable(),
  committedAt: z.iso.datetime().nullable(),
});
export type ConnectState = z.infer<typeof connectStateSchema>;

export const signInStartSchema = z.object({ authorizeUrl: z.string() });

export const replyAddressSchema = z.object({ replyAddress: z.string() });

/** Fixes TotalOne can make in the partner's directory itself (with the Entra app's permissions). */
export const microsoftFixSchema = z.object({
  fix: z.enum(['service_account_in_admin_agents', 'app_in_admin_agents'], { error: 'Choose which fix to apply: service_account_in_admin_agents or app_in_admin_agents.' }),
});

// "Set up Microsoft for me": the permissions asked for, and the latest run's actions with their results.
export const setupStartSchema = z.object({
  addToAdminAgents: z.boolean().default(false),
  partnerCenterWebAppId: guid('Web App ID', 'Partner Center > Account settings > App management > Web app').optional(),
  serviceAccountUpn: z.string().trim().toLowerCase().max(254).regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'Enter the service account\u2019s user name, e.g. total.one@contoso.onmicrosoft.com.').optional(),
  fixServiceAccountGroup: z.boolean().default(true),
});
export type SetupStartInput = z.input<typeof setupStartSchema>;

export const setupActionSchema = z.object({
  id: z.string(),
  title: z.string(),
  status: z.enum(['done', 'unchanged', 'skipped', 'failed']),
  detail: z.string(),
  undo: z.string().optional(),
});

export const setupViewSchema = z.object({
  available: z.boolean(),
  permissions: z.array(z.object({ name: z.string(), why: z.string() })),
  /** Always false: the administrator's token serves the one setup run, in memory, and is never stored. */
  tokenKept: z.literal(false),
  /** The latest run: while it runs, the actions done so far (GET /api/connect/setup/events follows it). */
  lastRun: z
    .object({
      at: z.string(),
      status: z.enum(['running', 'completed', 'refused', 'interrupted']),
      finishedAt: z.string().optional(),
      refusal: z.object({ message: z.string(), fix: z.string() }).optional(),
      actions: z.array(setupActionSchema),
      appId: z.string().optional(),
    })
    .nullable(),
});
export type SetupView = z.infer<typeof setupViewSchema>;
