import { z } from 'zod';
import { emailAddress, isStorableText, linkToken, requiredText, searchText, unstorableMessage } from './common.ts';
import { partnerStates } from './partner-states.ts';
import { findingSchema } from './sync.ts';

// The operator console: operator accounts, sign-in, and the console API. Shared by the
// server (request validation, response stripping) and the web console. Every response shape is an
// explicit list of fields: nothing a presenter forgets to remove can leave the server.

export const operatorRoles = ['support', 'admin'] as const;
export const operatorRoleSchema = z.enum(operatorRoles);
export type OperatorRole = z.infer<typeof operatorRoleSchema>;
export const operatorStatusSchema = z.enum(['invited', 'active', 'disabled']);

export const partnerStateSchema = z.enum(partnerStates);

const isoDate = z.string();
const uuid = z.uuid({ error: 'This identifier is not valid.' });
export const idParamsSchema = z.object({ id: uuid });

/** A six-digit code from the authenticator app. */
export const totpCode = z
  .string({ error: 'The code from your authenticator app is required.' })
  .trim()
  .regex(/^\d{6}$/, { error: 'Enter the 6-digit code your authenticator app shows now.' });

/** Every console action that changes something names why; the reason goes into the audit log. */
export const reasonSchema = z.object({ reason: requiredText('Reason', 3, 500) });
export type ReasonInput = z.infer<typeof reasonSchema>;

// --- invites and sign-in -------------------------------------------------------------------

export const inviteTokenSchema = z.object({ token: linkToken });
export const invitePasswordSchema = z.object({
  token: linkToken,
  // Not trimmed: spaces are allowed characters in a passphrase. Policy is checked on the server.
  password: z.string({ error: 'Password is required.' }).min(1, { error: 'Password is required.' }).max(256, { error: 'Password can be at most 256 characters.' }).refine(isStorableText, { error: unstorableMessage('Password') }),
});
export const inviteTotpConfirmSchema = z.object({ token: linkToken, code: totpCode });

export const inviteViewSchema = z.object({
  email: z.string(),
  role: operatorRoleSchema,
  expiresAt: isoDate,
  /** What the invitee does next: choose a password, then enrol the authenticator app. */
  step: z.enum(['password', 'totp']),
});
export const totpEnrolmentSchema = z.object({
  /** For the QR code: otpauth://totp/TotalOne%20Console:...?secret=...&issuer=... */
  otpauthUri: z.string(),
  /** The same secret as text, for typing into the app by hand. Shown once, during enrolment only. */
  secret: z.string(),
  issuer: z.string(),
  account: z.string(),
});
export const inviteCompletedSchema = z.object({ status: z.literal('active'), message: z.string() });

export const signInSchema = z.object({
  email: emailAddress('Email'),
  password: z.string({ error: 'Password is required.' }).min(1, { error: 'Password is required.' }).max(256),
  code: totpCode,
});
export type SignInInput = z.infer<typeof signInSchema>;

export const operatorSessionSchema = z.object({
  operator: z.object({ id: z.string(), email: z.string(), role: operatorRoleSchema }),
  signedInAt: isoDate,
  /** The session ends at the latest here, however active the operator is (12 hours after sign-in). */
  expiresAt: isoDate,
  /** Without a request before this moment the session ends (30 minutes of inactivity). */
  idleExpiresAt: isoDate,
});
export type OperatorSessionView = z.infer<typeof operatorSessionSchema>;

export const signedOutSchema = z.object({ status: z.literal('signed_out'), sessionsEnded: z.number() });

// --- overview -------------------------------------------------------------------------------

export const periodQuerySchema = z.object({
  from: z.iso.datetime({ offset: true, error: 'from must be an ISO date-time, e.g. 2026-01-01T00:00:00Z.' }).optional(),
  to: z.iso.datetime({ offset: true, error: 'to must be an ISO date-time, e.g. 2026-02-01T00:00:00Z.' }).optional(),
});

const activityItem = z.object({
  id: z.number(),
  occurredAt: isoDate,
  actorType: z.enum(['partner', 'operator', 'system', 'anonymous']),
  actor: z.string().nullable(),
  partner: z.object({ id: z.string(), reference: z.string(), companyName: z.string() }).nullable(),
  action: z.string(),
  details: z.record(z.string(), z.unknown()),
});
export type ActivityItem = z.infer<typeof activityItem>;

export const overviewSchema = z.object({
  period: z.object({ from: isoDate, to: isoDate }),
  /** Partners who signed up in the period, by the state they are in now. */
  byState: z.record(partnerStateSchema, z.number()),
  total: z.number(),
  /** How far the partners of the period got, stage by stage, and how many stopped before the next. */
  funnel: z.array(z.object({ stage: z.string(), label: z.string(), reached: z.number(), droppedBeforeNext: z.number(), conversionFromPrevious: z.number().nullable() })),
  recentActivity: z.array(activityItem),
  openSupportRequests: z.number(),
  /** Email delivery: what still waits for the mail server, and what it refused for good. */
  emails: z.object({
    waiting: z.number(),
    oldestWaitingSince: isoDate.nullable(),
    failed: z.number(),
    recentFailures: z.array(
      z.object({
        id: z.string(),
        template: z.string(),
        to: z.string(),
        lastError: z.string().nullable(),
        failedAt: isoDate.nullable(),
        attempts: z.number(),
        partner: z.object({ id: z.string(), reference: z.string(), companyName: z.string() }).nullable(),
      }),
    ),
  }),
});

// --- signups list and partner detail --------------------------------------------------------

export const partnerListQuerySchema = z.object({
  q: searchText('Search', 200).optional(),
  state: z
    .union([partnerStateSchema, z.array(partnerStateSchema).max(10)])
    .optional()
    .transform((v) => (v === undefined ? undefined : Array.isArray(v) ? v : [v])),
  sort: z.enum(['created_at', 'updated_at', 'company', 'state']).default('created_at'),
  order: z.enum(['asc', 'desc']).default('desc'),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  offset: z.coerce.number().int().min(0).max(10_000).default(0),
});
export type PartnerListQuery = z.infer<typeof partnerListQuerySchema>;

const partnerSummary = z.object({
  id: z.string(),
  reference: z.string(),
  companyName: z.string(),
  state: partnerStateSchema,
  country: z.string(),
  entraDomain: z.string(),
  mpnId: z.string(),
  primaryContact: z.object({ name: z.string(), email: z.string() }),
  createdAt: isoDate,
  updatedAt: isoDate,
});
export const partnerListSchema = z.object({ items: z.array(partnerSummary), total: z.number(), limit: z.number(), offset: z.number() });

const contactView = z.object({ role: z.enum(['primary', 'secondary']), firstName: z.string(), lastName: z.string(), jobTitle: z.string(), email: z.string(), phone: z.string() });
const linkView = z.object({
  id: z.string(),
  purpose: z.enum(['email_verification', 'signup_link', 'credential_update']),
  status: z.enum(['open', 'claimed', 'spent', 'revoked', 'expired']),
  issuedBy: z.string(),
  createdAt: isoDate,
  expiresAt: isoDate,
  claimedAt: isoDate.nullable(),
  spentAt: isoDate.nullable(),
  revokedAt: isoDate.nullable(),
  revokedReason: z.string().nullable(),
});
/** An outbox row: waiting, being handed to the mail server, accepted by it, or refused for good. */
export const emailStatusSchema = z.enum(['pending', 'sending', 'sent', 'failed']);
const emailView = z.object({ id: z.string(), template: z.string(), to: z.string(), status: emailStatusSchema, attempts: z.number(), createdAt: isoDate, sentAt: isoDate.nullable(), lastError: z.string().nullable() });
const preflightView = z.object({
  id: z.string(),
  triggeredBy: z.string(),
  startedAt: isoDate,
  finishedAt: isoDate,
  allRequiredPassed: z.boolean(),
  checks: z.array(z.object({ id: z.string(), title: z.string(), status: z.string(), required: z.boolean(), found: z.string(), fix: z.string().nullable() })),
});
const syncRunView = z.object({
  id: z.string(),
  reason: z.string(),
  status: z.string(),
  startedAt: isoDate,
  finishedAt: isoDate.nullable(),
  pages: z.number(),
  customersSeen: z.number(),
  totalCount: z.number().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
/** A credential as operators may see it: never the value, only which, a masked hint and the expiry. */
const credentialView = z.object({ field: z.string(), label: z.string(), hint: z.string().nullable(), expiresAt: isoDate.nullable() });
const timelineItem = z.object({
  at: isoDate,
  kind: z.enum(['audit', 'email']),
  action: z.string(),
  actorType: z.string().nullable(),
  actor: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

export const partnerDetailSchema = z.object({
  id: z.string(),
  reference: z.string(),
  state: partnerStateSchema,
  company: z.object({ legalName: z.string(), country: z.string(), street: z.string(), postalCode: z.string(), city: z.string(), taxId: z.string(), website: z.string().nullable(), mpnId: z.string(), entraDomain: z.string() }),
  emailVerifiedAt: isoDate.nullable(),
  createdAt: isoDate,
  updatedAt: isoDate,
  contacts: z.array(contactView),
  links: z.array(linkView),
  emails: z.array(emailView),
  termsAccepted: z.array(z.object({ document: z.string(), version: z.string(), acceptedAt: isoDate })),
  connection: z
    .object({
      tenantId: z.string().nullable(),
      entraAppId: z.string().nullable(),
      partnerCenterWebAppId: z.string().nullable(),
      partnerCenterNativeAppId: z.string().nullable(),
      serviceAccountUpn: z.string().nullable(),
      mfaPerformed: z.boolean().nullable(),
      signedInAt: isoDate.nullable(),
      committedAt: isoDate.nullable(),
      signInError: z.object({ code: z.string(), message: z.string() }).nullable(),
    })
    .nullable(),
  credentials: z.array(credentialView),
  preflightRuns: z.array(preflightView),
  syncRuns: z.array(syncRunView),
  supportRequests: z.array(z.object({ id: z.string(), reference: z.string(), status: z.enum(['open', 'handled']), createdAt: isoDate })),
  timeline: z.array(timelineItem),
  /** The open finding the partner must fix in Microsoft, with when each contact was told. */
  attention: findingSchema.extend({ origin: z.enum(['sync', 'secret_expiry', 'drift']), primaryNotifiedAt: isoDate.nullable(), secondaryNotifiedAt: isoDate.nullable() }).nullable(),
  /** Which actions make sense in the partner's state (the server checks again). */
  availableActions: z.array(z.enum(['resend_verification', 'issue_signup_link', 'rerun_preflight', 'restart_sync', 'stop_sync', 'recheck_attention', 'suspend', 'offboard'])),
});
export type PartnerDetail = z.infer<typeof partnerDetailSchema>;

/** Partners by the secret that ends first (the daily secret-expiry job keeps the dates). */
export const secretExpiryListSchema = z.object({
  items: z.array(
    z.object({
      partnerId: z.string(),
      reference: z.string(),
      companyName: z.string(),
      state: partnerStateSchema,
      credential: z.enum(['entra_client_secret', 'partner_center_web_app_secret']),
      endsAt: isoDate,
      /** Negative: expired that many days ago. */
      daysLeft: z.number().int(),
      /** graph: read from the app registration; typed: the date the partner entered. */
      source: z.enum(['graph', 'typed']),
    }),
  ),
});

export const actionResultSchema = z.object({ status: z.literal('done'), message: z.string(), partnerState: partnerStateSchema });

// --- support inbox --------------------------------------------------------------------------

export const supportListQuerySchema = z.object({
  status: z.enum(['open', 'handled']).optional(),
  q: searchText('Search', 200).optional(),
  partnerId: uuid.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  offset: z.coerce.number().int().min(0).max(10_000).default(0),
});
const supportItem = z.object({
  id: z.string(),
  reference: z.string(),
  name: z.string(),
  email: z.string(),
  message: z.string(),
  signupReference: z.string().nullable(),
  status: z.enum(['open', 'handled']),
  createdAt: isoDate,
  partner: z.object({ id: z.string(), reference: z.string(), companyName: z.string(), state: partnerStateSchema }).nullable(),
});
export const supportListSchema = z.object({ items: z.array(supportItem), total: z.number(), limit: z.number(), offset: z.number() });
export const supportDetailSchema = supportItem.extend({
  replies: z.array(z.object({ id: z.string(), operator: z.string().nullable(), message: z.string(), createdAt: isoDate, emailStatus: emailStatusSchema.nullable() })),
});
export const supportReplySchema = z.object({ message: requiredText('Reply', 2, 5000), markHandled: z.boolean().default(true) });

// --- audit log ------------------------------------------------------------------------------

export const auditQuerySchema = z.object({
  /** Exact action, or a prefix ending in `.` or `*` (e.g. `operator.` or `signup_link.*`). */
  action: z.string().trim().max(100).regex(/^[a-z0-9_.*]+$/, { error: 'action may contain lower-case letters, digits, _ . and a trailing *.' }).optional(),
  partnerId: uuid.optional(),
  actorId: searchText('actorId', 100).optional(),
  actorType: z.enum(['partner', 'operator', 'system', 'anonymous']).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  /** Keyset paging: pass the previous page's nextCursor. */
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const auditPageSchema = z.object({ items: z.array(activityItem), nextCursor: z.number().nullable() });

// --- operator management (admin) ------------------------------------------------------------

export const operatorViewSchema = z.object({
  id: z.string(),
  email: z.string(),
  role: operatorRoleSchema,
  status: operatorStatusSchema,
  totpEnrolled: z.boolean(),
  lockedUntil: isoDate.nullable(),
  lastSignInAt: isoDate.nullable(),
  createdAt: isoDate,
});
export type OperatorView = z.infer<typeof operatorViewSchema>;
export const operatorListSchema = z.object({ items: z.array(operatorViewSchema) });
export const createOperatorSchema = z.object({ email: emailAddress('Email'), role: operatorRoleSchema });
export const changeRoleSchema = reasonSchema.extend({ role: operatorRoleSchema });
export const operatorInvitedSchema = z.object({ operator: operatorViewSchema, inviteExpiresAt: isoDate, message: z.string() });
