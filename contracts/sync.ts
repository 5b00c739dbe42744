import { z } from 'zod';
import { isStorableText, linkToken, searchText } from './common.ts';
import { partnerStates } from './partner-states.ts';

// The partner's status page and tenant view, shared by server and web.

export const statusStepSchema = z.object({
  id: z.enum(['signup', 'connect', 'import', 'ready']),
  label: z.string(),
  status: z.enum(['done', 'current', 'pending', 'failed']),
});

export const syncProgressSchema = z.object({
  status: z.enum(['running', 'completed', 'failed']),
  reason: z.string(),
  /** Customers read so far in this run. */
  customersImported: z.number().int(),
  /** The total when known (from the previous run while running; exact once completed). */
  total: z.number().int().nullable(),
  percent: z.number().int().nullable(),
  pages: z.number().int(),
  /** Customers per second so far. */
  ratePerSecond: z.number().nullable(),
  secondsLeft: z.number().int().nullable(),
  throttled: z.number().int(),
  startedAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
  /** In plain words; `retrying` says whether we try again by ourselves. */
  error: z.object({ code: z.string(), message: z.string(), retrying: z.boolean() }).nullable(),
});

/** Something only the partner can fix in Microsoft: what was refused and the exact fix. */
export const findingSchema = z.object({
  /** Microsoft's code: AADSTS7000222, PARTNER_CENTER_403, GRAPH_Authorization_RequestDenied, ... */
  code: z.string(),
  /** Which credential Microsoft refused, when known. */
  source: z.enum(['entra_app', 'partner_center_app', 'service_account']).nullable(),
  message: z.string(),
  fix: z.string(),
  /** What to do in TotalOne once the fix is made ('' when nothing). */
  afterFix: z.string(),
  /** check_again: the status page's "Check again"; sign_in_again: a reconnect; enter_new_secret: a new secret value. */
  then: z.enum(['enter_new_secret', 'sign_in_again', 'check_again', 'wait', 'contact_support']),
  openedAt: z.string(),
  lastCheckedAt: z.string(),
});
export type FindingView = z.infer<typeof findingSchema>;

export const offboardingRequestedSchema = z.object({ sentTo: z.string(), expiresAt: z.string() });
export const offboardingTokenSchema = z.object({ token: linkToken });
export const offboardingViewSchema = z.object({ companyName: z.string(), reference: z.string(), expiresAt: z.string() });
export const offboardedSchema = z.object({ companyName: z.string(), deleteAfter: z.string() });

export const reconnectLinkSentSchema = z.object({ sentTo: z.string(), expiresAt: z.string() });

export const checkAgainResultSchema = z.object({ fixed: z.boolean(), message: z.string() });
/** Why TotalOne cannot administer a customer through GDAP yet (null: it can). */
export const gdapBlockerSchema = z.enum(['unknown', 'no_relationship', 'expired', 'read_only', 'no_global_admin', 'no_group_assignment']);

/** What GDAP lets TotalOne do in one customer's tenant, as the last sync read it (status null: not read yet). */
export const customerGdapSchema = z.object({
  status: z.enum(['active', 'expiring', 'expired', 'none', 'unknown']).nullable(),
  endAt: z.string().nullable(),
  autoExtend: z.boolean().nullable(),
  globalAdmin: z.boolean().nullable(),
  readOnly: z.boolean().nullable(),
  groupAssigned: z.boolean().nullable(),
  relationship: z.string().nullable(),
  /** null until GDAP was read. */
  canManage: z.boolean().nullable(),
  blocker: gdapBlockerSchema.nullable(),
  reason: z.string().nullable(),
  fix: z.string().nullable(),
});

/** Customers TotalOne cannot administer yet, and why (counts over the present customers). */
export const gdapSummarySchema = z.object({
  readAt: z.string().nullable(),
  outcome: z.enum(['read', 'permission_missing', 'failed']).nullable(),
  manageable: z.number().int(),
  cannotManage: z.number().int(),
  expiringSoon: z.number().int(),
  reasons: z.array(z.object({ blocker: gdapBlockerSchema, count: z.number().int(), reason: z.string(), fix: z.string() })),
  /** When the last read failed or lacked the permission: what happened and the fix. */
  problem: z.string().nullable(),
  fix: z.string().nullable(),
});
export type GdapSummary = z.infer<typeof gdapSummarySchema>;

export const statusSchema = z.object({
  companyName: z.string(),
  reference: z.string(),
  state: z.enum(partnerStates),
  /** One sentence for the top of the page. */
  headline: z.string(),
  steps: z.array(statusStepSchema),
  sync: syncProgressSchema.nullable(),
  customerCount: z.number().int(),
  lastSyncAt: z.string().nullable(),
  /** The open finding, when the partner must fix something in Microsoft. */
  attention: findingSchema.nullable(),
  /** Whether "Check again" can be pressed (the partner needs attention). */
  canCheckAgain: z.boolean(),
  /** The latest run of the checks of the Microsoft setup (daily, or "Check again") and what changed since the one before. */
  lastCheck: z
    .object({
      at: z.string(),
      allRequiredPassed: z.boolean(),
      failing: z.array(z.string()),
      changed: z.array(z.object({ title: z.string(), from: z.enum(['passed', 'failed', 'warning', 'unknown']).nullable(), to: z.enum(['passed', 'failed', 'warning', 'unknown']) })),
    })
    .nullable(),
  /** Whether "Send me a reconnect link" is offered (Microsoft no longer accepts the stored sign-in). */
  canRequestReconnect: z.boolean(),
  /** The connection is complete: the primary contact may ask for a link to enter new app secrets. */
  canUpdateCredentials: z.boolean(),
  /** null before the first import. */
  gdap: gdapSummarySchema.nullable(),
});
export type StatusView = z.infer<typeof statusSchema>;

/** The key from a status link (`/status#key=...`): exchanged once for an HttpOnly cookie. */
export const statusAccessSchema = z.object({
  key: z
    .string({ error: 'The status link is missing its key.' })
    .trim()
    .max(200, { error: 'This status link is damaged. Copy the whole link from the email.' })
    .regex(/^[0-9a-f-]{36}\.\d{1,12}\.[A-Za-z0-9_-]{43}$/, { error: 'This status link is incomplete or damaged. Copy the whole link from the email.' }),
});

export const customerQuerySchema = z.object({
  search: searchText('Search', 100).optional(),
  sort: z.enum(['name', 'domain']).default('name'),
  order: z.enum(['asc', 'desc']).default('asc'),
  cursor: z.string().max(600).refine(isStorableText, { error: 'This page position is damaged; start from the first page.' }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** `no_admin_access`: only customers TotalOne cannot administer through GDAP (or not known yet). */
  access: z.enum(['all', 'no_admin_access']).default('all'),
});
export type CustomerQuery = z.infer<typeof customerQuerySchema>;

export const customerViewSchema = z.object({
  id: z.string(),
  companyName: z.string(),
  domain: z.string(),
  tenantId: z.string().nullable(),
  relationship: z.string().nullable(),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
  gdap: customerGdapSchema,
});

export const customerListSchema = z.object({
  items: z.array(customerViewSchema),
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: z.string().nullable(),
});

export const tenantSummarySchema = z.object({
  customerCount: z.number().int(),
  removedCount: z.number().int(),
  lastSyncAt: z.string().nullable(),
  lastSyncStatus: z.enum(['running', 'completed', 'failed']).nullable(),
});
