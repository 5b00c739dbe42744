import { z } from 'zod';
import { linkToken } from './common.ts';
import { secretValue } from './connect.ts';

// The credential update: a connected partner's primary contact enters a new Entra app client secret
// and/or a new Partner Center web app secret through a one-time link. Shared by server and web.

const optionalSecret = (label: string, where: string) =>
  z
    .union([z.literal(''), secretValue(label, where)])
    .optional()
    .transform((v) => v || undefined);

export const credentialUpdateSchema = z
  .object({
    clientSecret: optionalSecret('New client secret', 'Entra admin center > App registrations > your app > Certificates & secrets'),
    webAppSecret: optionalSecret('New Web App Secret', 'Partner Center > Account settings > App management > Web app > Keys'),
    /** Empty: read from Microsoft (the web app's key with the same first characters). */
    secretExpiresOn: z.union([z.literal(''), z.iso.date({ error: 'Enter the secret\u2019s expiry date as shown in Partner Center (YYYY-MM-DD), or leave it empty.' })]).optional().transform((v) => v || undefined),
  })
  .superRefine((value, ctx) => {
    if (!value.clientSecret && !value.webAppSecret) {
      ctx.addIssue({ code: 'custom', path: ['webAppSecret'], message: 'Enter at least one new secret: the Web App Secret, the client secret, or both.' });
    }
  });
export type CredentialUpdateForm = z.input<typeof credentialUpdateSchema>;
export type CredentialUpdateInput = z.output<typeof credentialUpdateSchema>;

export const credentialLinkTokenSchema = z.object({ token: linkToken });

/** What opening an update link shows (changes nothing). */
export const credentialLinkViewSchema = z.object({ companyName: z.string(), reference: z.string(), expiresAt: z.string(), status: z.enum(['open', 'claimed_here']) });

const secretViewSchema = z.object({ appId: z.string(), secretHint: z.string().nullable(), endsAt: z.string().nullable() });

/** The update page's state for the browser that claimed the link. */
export const credentialUpdateStateSchema = z.object({
  companyName: z.string(),
  reference: z.string(),
  linkExpiresAt: z.string(),
  entraApp: secretViewSchema,
  partnerCenterApp: secretViewSchema,
  /** Set once the new secrets are stored (the link is then spent). */
  done: z
    .object({
      at: z.string(),
      updated: z.array(z.enum(['entra_client_secret', 'partner_center_web_app_secret'])),
      /** The finding the new secret fixed, if one was open: the import resumes. */
      resumedImport: z.boolean(),
    })
    .nullable(),
});
export type CredentialUpdateState = z.infer<typeof credentialUpdateStateSchema>;

export const credentialLinkSentSchema = z.object({ sentTo: z.string(), expiresAt: z.string() });
