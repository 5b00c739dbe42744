import type { z } from 'zod';
import type { checkAgainResultSchema, offboardedSchema, offboardingRequestedSchema, offboardingViewSchema, reconnectLinkSentSchema, customerListSchema, statusSchema, tenantSummarySchema } from '../../../../contracts/sync.ts';
import { apiGet, apiPost } from '../../api.ts';

// The status page and tenant view (server/modules/sync/sync.routes.ts).

export type StatusView = z.infer<typeof statusSchema>;
export type CustomerList = z.infer<typeof customerListSchema>;
export type TenantSummary = z.infer<typeof tenantSummarySchema>;
export type CheckAgainResult = z.infer<typeof checkAgainResultSchema>;
export type ReconnectLinkSent = z.infer<typeof reconnectLinkSentSchema>;
export type OffboardingRequested = z.infer<typeof offboardingRequestedSchema>;
export type OffboardingView = z.infer<typeof offboardingViewSchema>;
export type Offboarded = z.infer<typeof offboardedSchema>;

const status = ['companyName', 'state', 'steps'] as const;

export const statusApi = {
  status: () => apiGet<StatusView>('/api/status', status),
  /** Exchanges the key of a status link from an email for a cookie of this browser. */
  openStatusLink: (key: string) => apiPost<StatusView>('/api/status/access', { key }, status),
  /** Ends this browser's partner session and removes its status cookie. */
  signOut: () => apiPost<{ status: 'signed_out' }>('/api/session/sign-out', {}, ['status']),
  /** The partner fixed the finding in Microsoft: the failing check runs again. */
  /** Microsoft no longer accepts the stored sign-in: a reconnect link to the primary contact. */
  requestReconnectLink: () => apiPost<ReconnectLinkSent>('/api/status/reconnect-link', {}, ['sentTo', 'expiresAt']),
  /** Disconnect from TotalOne: a confirmation link goes to the primary contact. */
  requestOffboarding: () => apiPost<OffboardingRequested>('/api/status/offboarding-request', {}, ['sentTo', 'expiresAt']),
  inspectOffboarding: (token: string) => apiPost<OffboardingView>('/api/offboarding/inspect', { token }, ['companyName', 'reference', 'expiresAt']),
  confirmOffboarding: (token: string) => apiPost<Offboarded>('/api/offboarding/confirm', { token }, ['companyName', 'deleteAfter']),
  checkAgain: () => apiPost<CheckAgainResult>('/api/status/check-again', {}, ['fixed', 'message']),
  summary: () => apiGet<TenantSummary>('/api/tenant/summary', ['customerCount', 'lastSyncAt']),
  customers: (query: { search?: string; sort: 'name' | 'domain'; order: 'asc' | 'desc'; cursor?: string; limit?: number; access?: 'all' | 'no_admin_access' }) => {
    const params = new URLSearchParams({ sort: query.sort, order: query.order, limit: String(query.limit ?? 50) });
    if (query.access === 'no_admin_access') params.set('access', query.access);
    if (query.search) params.set('search', query.search);
    if (query.cursor) params.set('cursor', query.cursor);
    return apiGet<CustomerList>(`/api/tenant/customers?${params}`, ['items', 'nextCursor']);
  },
};
