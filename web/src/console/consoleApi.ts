import type { z } from 'zod';
import type {
  actionResultSchema,
  auditPageSchema,
  inviteCompletedSchema,
  inviteViewSchema,
  operatorInvitedSchema,
  operatorListSchema,
  OperatorRole,
  OperatorSessionView,
  OperatorView,
  overviewSchema,
  PartnerDetail,
  partnerListSchema,
  secretExpiryListSchema,
  signedOutSchema,
  SignInInput,
  supportDetailSchema,
  supportListSchema,
  totpEnrolmentSchema,
} from '../../../contracts/operators.ts';
import type { customerListSchema, gdapSummarySchema } from '../../../contracts/sync.ts';
import { apiGet, apiPost, onApiAnswer, type ApiError, type Expect } from '../api.ts';

// The console's door to /api/console (server/modules/operators/operators.routes.ts), through the
// partner pages' client (web/src/api.ts: CSRF token on every POST, refetched once on CSRF_FAILED;
// failures as ApiError with the server's code). One addition: a 401 CONSOLE_SESSION_REQUIRED on any
// call tells the console shell that the session has ended, so it can go back to sign-in.

export type InviteView = z.infer<typeof inviteViewSchema>;
export type TotpEnrolment = z.infer<typeof totpEnrolmentSchema>;
export type InviteCompleted = z.infer<typeof inviteCompletedSchema>;
export type Overview = z.infer<typeof overviewSchema>;
export type PartnerList = z.infer<typeof partnerListSchema>;
export type SecretExpiryList = z.infer<typeof secretExpiryListSchema>;
export type PartnerSummary = PartnerList['items'][number];
export type ActionResult = z.infer<typeof actionResultSchema>;
export type SupportList = z.infer<typeof supportListSchema>;
export type SupportItem = SupportList['items'][number];
export type SupportDetail = z.infer<typeof supportDetailSchema>;
export type AuditPage = z.infer<typeof auditPageSchema>;
export type OperatorList = z.infer<typeof operatorListSchema>;
export type OperatorInvited = z.infer<typeof operatorInvitedSchema>;
export type SignedOut = z.infer<typeof signedOutSchema>;
export type { OperatorSessionView, OperatorView, PartnerDetail, OperatorRole };

export type PartnerAction = PartnerDetail['availableActions'][number];
/** A page of a partner's imported customers with GDAP (GET /api/console/partners/:id/customers). */
export type PartnerCustomers = z.infer<typeof customerListSchema> & { gdap: z.infer<typeof gdapSummarySchema> | null };

const sessionLostListeners = new Set<(error: ApiError) => void>();
/** Called when any console call answers 401 CONSOLE_SESSION_REQUIRED. */
export function onSessionLost(listener: (error: ApiError) => void): () => void {
  sessionLostListeners.add(listener);
  return () => sessionLostListeners.delete(listener);
}

let lastCallAt = Date.now();
/** When this tab last talked to the API (the idle timeout counts from a call like this). */
export const lastApiCallAt = () => lastCallAt;

// The console uses the partner pages' client (web/src/api.ts) and watches its answers.
onApiAnswer((error) => {
  lastCallAt = Date.now();
  if (error?.code === 'CONSOLE_SESSION_REQUIRED') for (const listener of sessionLostListeners) listener(error);
});

const get = apiGet;
const post = apiPost;

/** `?a=1&b=x` from the defined, non-empty values (arrays repeat the key). */
export function query(params: Record<string, string | number | undefined | null | readonly string[]>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const v of value) search.append(key, v);
    else search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

const id = (value: string) => encodeURIComponent(value);
const sessionKeys: Expect<OperatorSessionView> = ['operator', 'expiresAt', 'idleExpiresAt'];
const supportDetailKeys: Expect<SupportDetail> = ['id', 'reference', 'replies'];
const operatorKeys: Expect<OperatorView> = ['id', 'email', 'role', 'status'];
const actionPaths: Record<PartnerAction, string> = {
  resend_verification: 'resend-verification',
  issue_signup_link: 'signup-links',
  rerun_preflight: 'preflight-runs',
  restart_sync: 'sync-runs',
  stop_sync: 'sync-stops',
  recheck_attention: 'attention-checks',
  offboard: 'offboarding',
  suspend: 'suspension',
};

export const consoleApi = {
  inspectInvite: (token: string) => post<InviteView>('/api/console/invites/inspect', { token }, ['email', 'role', 'step']),
  setInvitePassword: (token: string, password: string) => post<{ step: 'totp' }>('/api/console/invites/password', { token, password }, ['step']),
  startTotp: (token: string) => post<TotpEnrolment>('/api/console/invites/totp', { token }, ['otpauthUri', 'secret']),
  confirmTotp: (token: string, code: string) => post<InviteCompleted>('/api/console/invites/totp/confirm', { token, code }, ['status']),
  signIn: (input: SignInInput) => post<OperatorSessionView>('/api/console/session', input, sessionKeys),
  session: () => get<OperatorSessionView>('/api/console/session', sessionKeys),
  signOut: () => post<SignedOut>('/api/console/session/sign-out', {}, ['status']),
  signOutEverywhere: () => post<SignedOut>('/api/console/session/sign-out-everywhere', {}, ['status', 'sessionsEnded']),
  secretExpiries: () => get<SecretExpiryList>('/api/console/secret-expiries', ['items']),
  overview: (from: string) => get<Overview>(`/api/console/overview${query({ from })}`, ['funnel', 'byState', 'recentActivity']),
  partners: (params: { q?: string; state?: string; sort?: string; order?: string; limit?: number; offset?: number }) =>
    get<PartnerList>(`/api/console/partners${query(params)}`, ['items', 'total']),
  partner: (partnerId: string) => get<PartnerDetail>(`/api/console/partners/${id(partnerId)}`, ['id', 'company', 'timeline', 'availableActions']),
  partnerCustomers: (partnerId: string, query: { access: 'all' | 'no_admin_access'; search?: string; cursor?: string }) => {
    const params = new URLSearchParams({ limit: '25', access: query.access });
    if (query.search) params.set('search', query.search);
    if (query.cursor) params.set('cursor', query.cursor);
    return get<PartnerCustomers>(`/api/console/partners/${id(partnerId)}/customers?${params}`, ['items', 'nextCursor']);
  },
  partnerAction: (partnerId: string, action: PartnerAction, reason: string) =>
    post<ActionResult>(`/api/console/partners/${id(partnerId)}/${actionPaths[action]}`, { reason }, ['status', 'message']),
  supportRequests: (params: { status?: string; q?: string; limit?: number; offset?: number }) =>
    get<SupportList>(`/api/console/support-requests${query(params)}`, ['items', 'total']),
  supportRequest: (requestId: string) => get<SupportDetail>(`/api/console/support-requests/${id(requestId)}`, supportDetailKeys),
  replySupport: (requestId: string, message: string, markHandled: boolean) =>
    post<SupportDetail>(`/api/console/support-requests/${id(requestId)}/replies`, { message, markHandled }, supportDetailKeys),
  setSupportStatus: (requestId: string, status: 'open' | 'handled', reason?: string) =>
    post<SupportDetail>(`/api/console/support-requests/${id(requestId)}/status`, reason ? { status, reason } : { status }, supportDetailKeys),
  auditEvents: (params: { action?: string; partnerId?: string; actorId?: string; actorType?: string; from?: string; to?: string; before?: number; limit?: number }) =>
    get<AuditPage>(`/api/console/audit-events${query(params)}`, ['items', 'nextCursor']),
  operators: () => get<OperatorList>('/api/console/operators', ['items']),
  createOperator: (email: string, role: OperatorRole) => post<OperatorInvited>('/api/console/operators', { email, role }, ['operator', 'message']),
  reinviteOperator: (operatorId: string) => post<OperatorInvited>(`/api/console/operators/${id(operatorId)}/invites`, {}, ['operator', 'message']),
  changeRole: (operatorId: string, role: OperatorRole, reason: string) => post<OperatorView>(`/api/console/operators/${id(operatorId)}/role`, { role, reason }, operatorKeys),
  disableOperator: (operatorId: string, reason: string) => post<OperatorView>(`/api/console/operators/${id(operatorId)}/disable`, { reason }, operatorKeys),
};
