import type { AcceptedBody } from '../../contracts/common.ts';
import type { ApiErrorCode } from '../../contracts/error-codes.ts';
import type { ConnectState, EntraAppInput, PartnerCenterAppInput, TermsAcceptance, legalTextsSchema, signInStartSchema } from '../../contracts/connect.ts';
import type { SignupLinkView, SignupRequest, SignupSessionView, verificationResultSchema, supportRequestCreatedSchema } from '../../contracts/signup.ts';
import type { z } from 'zod';

// The one door to the API. Every POST carries the CSRF token from GET /api/csrf-token (fetched
// once and cached; refetched once when the server says it expired), and every failure becomes an
// ApiError with the server's code and message, so pages branch on codes, never on text.
//
// Response types come from contracts/ as types only: importing the zod schemas at run time would
// pull zod and the phone-number metadata into every page, and the server's response schemas
// already strip and check what it sends. A light shape check guards against a wrong answer.

/**
 * The server's codes come from contracts/error-codes.ts (one list for both sides: comparing with a
 * code the server does not have does not compile); the page makes a few of its own.
 */
export type ClientErrorCode = 'NETWORK' | 'BAD_RESPONSE' | 'UNKNOWN' | 'ACTOR_EMAIL';
export type ErrorCode = ApiErrorCode | ClientErrorCode;

export interface FieldProblem {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    /** HTTP status, or 0 when the server could not be reached. */
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly fields: readonly FieldProblem[] = [],
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, 'NETWORK', 'Something went wrong in this page. Please reload it and try again.');
}

let csrfToken: Promise<string> | undefined;

function fetchCsrfToken(): Promise<string> {
  csrfToken ??= request<{ token: string }>('GET', '/api/csrf-token', undefined, ['token'])
    .then((body) => body.token)
    .catch((error: unknown) => {
      csrfToken = undefined;
      throw error;
    });
  return csrfToken;
}

/** The keys a successful answer must have; enough to tell our API's answer from anything else. */
export type Expect<T> = ReadonlyArray<keyof T & string>;

/** Told about every answer the server gives (the console tracks idle time and ended sessions). */
const answerListeners = new Set<(error: ApiError | undefined) => void>();
export function onApiAnswer(listener: (error: ApiError | undefined) => void): () => void {
  answerListeners.add(listener);
  return () => answerListeners.delete(listener);
}

async function request<T>(method: 'GET' | 'POST', path: string, body: unknown, expect: Expect<T>, csrf?: string): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (csrf) headers['x-csrf-token'] = csrf;

  let response: Response;
  try {
    response = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'NETWORK', 'We could not reach TotalOne. Check your internet connection and try again.');
  }

  const payload: unknown = await response.json().catch(() => undefined);
  const failure = response.ok ? undefined : toApiError(response, payload);
  for (const listener of answerListeners) listener(failure);
  if (failure) throw failure;
  if (!isRecord(payload) || !expect.every((key) => key in payload)) {
    throw new ApiError(response.status, 'BAD_RESPONSE', 'The server sent an answer this page does not understand. Please reload the page and try again.');
  }
  return payload as T;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads `{ error: { code, message, fields?, retryAfterSeconds? } }` (contracts/common.ts errorBody). */
function readErrorBody(payload: unknown): { code: ErrorCode; message: string; fields: FieldProblem[]; retryAfterSeconds?: number } | undefined {
  const error = isRecord(payload) ? payload.error : undefined;
  if (!isRecord(error) || typeof error.code !== 'string' || typeof error.message !== 'string') return undefined;
  const fields = Array.isArray(error.fields)
    ? error.fields.filter((field): field is FieldProblem => isRecord(field) && typeof field.path === 'string' && typeof field.message === 'string')
    : [];
  const retryAfterSeconds = typeof error.retryAfterSeconds === 'number' ? error.retryAfterSeconds : undefined;
  // A code this page does not know reads as the server's; pages only branch on known ones.
  return { code: error.code as ErrorCode, message: error.message, fields, retryAfterSeconds };
}

function toApiError(response: Response, payload: unknown): ApiError {
  const parsed = readErrorBody(payload);
  const headerRetry = Number(response.headers.get('retry-after'));
  if (parsed) {
    const { code, message, fields, retryAfterSeconds } = parsed;
    return new ApiError(response.status, code, message, fields, retryAfterSeconds ?? (headerRetry > 0 ? headerRetry : undefined));
  }
  if (response.status === 429) return new ApiError(429, 'RATE_LIMITED', 'Too many requests. Please wait a minute and try again.', [], headerRetry > 0 ? headerRetry : undefined);
  if (response.status >= 500) return new ApiError(response.status, 'INTERNAL', 'TotalOne is not answering properly right now. Nothing you entered was lost; please try again in a moment.');
  return new ApiError(response.status, 'BAD_RESPONSE', `The request failed (HTTP ${response.status}). Please reload the page and try again.`);
}

async function post<T>(path: string, body: unknown, expect: Expect<T>): Promise<T> {
  try {
    return await request('POST', path, body, expect, await fetchCsrfToken());
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== 'CSRF_FAILED') throw error;
    // The token or its cookie expired (or the cookie was cleared): fetch a fresh pair once.
    csrfToken = undefined;
    return request('POST', path, body, expect, await fetchCsrfToken());
  }
}

const get = <T,>(path: string, expect: Expect<T>) => request<T>('GET', path, undefined, expect);

/** For page modules that keep their own endpoints (status, console). */
export { get as apiGet, post as apiPost };

export type VerificationResult = z.infer<typeof verificationResultSchema>;
export type SupportRequestInput = { name: string; email: string; message: string; signupReference?: string | null };
export type SupportRequestCreated = z.infer<typeof supportRequestCreatedSchema>;

/** The demo inbox (server/modules/mail/mail.routes.ts). */
export interface MailSummary {
  id: string;
  subject: string;
  from: string;
  to: string[];
  cc: string[];
  receivedAt: string;
  /** Sent before this start of the demo: its one-time link is no longer shown, and this is how to get a new one. */
  linkRemoved: { newLink: string; href?: string; command?: string } | null;
}
export interface MailDetail extends MailSummary {
  text: string;
}

export type LegalTexts = z.infer<typeof legalTextsSchema>;
export type LegalTextView = LegalTexts['documents'][number];
export type SignInStart = z.infer<typeof signInStartSchema>;
export type { ConnectState };

const accepted: Expect<AcceptedBody> = ['status', 'message'];
const session: Expect<SignupSessionView> = ['companyName', 'reference', 'linkExpiresAt'];
const connectState: Expect<ConnectState> = ['step', 'companyName', 'reference', 'terms'];

export const api = {
  submitSignup: (data: SignupRequest) => post<AcceptedBody>('/api/signups', data, accepted),
  verifyEmail: (token: string) => post<VerificationResult>('/api/email-verifications', { token }, ['companyName', 'signupLinkSentTo', 'signupLinkExpiresAt']),
  resendVerification: (email: string) => post<AcceptedBody>('/api/verification-emails', { email }, accepted),
  requestSignupLink: (email: string) => post<AcceptedBody>('/api/signup-link-requests', { email }, accepted),
  inspectSignupLink: (token: string) => post<SignupLinkView>('/api/signup-links/inspect', { token }, ['companyName', 'reference', 'expiresAt', 'status']),
  claimSignupLink: (token: string) => post<SignupSessionView>('/api/signup-links/claim', { token }, session),
  signupSession: () => get<SignupSessionView>('/api/signup-session', session),
  // Step 3, the connect wizard (server/modules/connect): every step answers with the whole state.
  legalTexts: () => get<LegalTexts>('/api/connect/terms', ['documents']),
  replyAddress: () => get<{ replyAddress: string }>('/api/connect/reply-address', ['replyAddress']),
  connectState: () => get<ConnectState>('/api/connect/state', connectState),
  acceptTerms: (data: TermsAcceptance) => post<{ terms: { accepted: boolean } }>('/api/connect/terms-acceptances', data, ['terms']),
  saveEntraApp: (data: EntraAppInput) => post<ConnectState>('/api/connect/entra-app', data, connectState),
  savePartnerCenterApp: (data: PartnerCenterAppInput) => post<ConnectState>('/api/connect/partner-center-app', data, connectState),
  startMicrosoftSignIn: () => post<SignInStart>('/api/connect/microsoft-sign-in', {}, ['authorizeUrl']),
  runPreflight: () => post<ConnectState>('/api/connect/preflight', {}, connectState),
  fixInMicrosoft: (fix: 'service_account_in_admin_agents' | 'app_in_admin_agents') => post<ConnectState>('/api/connect/microsoft-fixes', { fix }, connectState),
  commitConnection: () => post<ConnectState>('/api/connect/commit', {}, connectState),
  createSupportRequest: (data: SupportRequestInput) => post<SupportRequestCreated>('/api/support-requests', data, ['reference', 'message']),
  demoMail: () => get<{ messages: MailSummary[] }>('/dev/api/mail', ['messages']),
  demoMailMessage: (id: string) => get<MailDetail>(`/dev/api/mail/${encodeURIComponent(id)}`, ['id', 'text']),
};
