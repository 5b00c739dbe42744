import { z } from 'zod';
import { isStorableText, searchText } from './common.ts';
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

export const checkAgainResultSchema = z.object({ fixed: z.boolean(), message: z.string() });

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
