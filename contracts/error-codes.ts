// Every code the API answers with in `{ error: { code, message } }`, defined once: the server throws
// them (server/lib/errors.ts), the browser branches on them (web/src/api.ts types ApiError.code
// with this list, so comparing with a code not in it does not compile).
// contracts/error-codes.test.ts fails when the server throws a code that is not listed here, or
// when a listed code is no longer thrown.
export const apiErrorCodes = [
  // Requests the server cannot take (server/app/errors.ts)
  'BAD_CONTENT_LENGTH',
  'BAD_REQUEST',
  'BAD_URL',
  'BODY_TOO_LARGE',
  'CSRF_FAILED',
  'EMPTY_BODY',
  'INTERNAL',
  'MALFORMED_JSON',
  'NOT_FOUND',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
  'UNSUPPORTED_MEDIA_TYPE',
  'VALIDATION_FAILED',
  // Signup, links and sessions
  'ACCESS_ENDED',
  'LINK_ALREADY_USED',
  'LINK_CLAIMED_ELSEWHERE',
  'LINK_EXPIRED',
  'LINK_NOT_USABLE',
  'LINK_REVOKED',
  'LINK_SPENT',
  'LINK_UNKNOWN',
  'OFFBOARDING_LINK_UNKNOWN',
  'OFFBOARDING_LINK_UNUSABLE',
  'NO_SIGNUP_SESSION',
  'RECONNECT_NOT_NEEDED',
  'STATUS_LINK_EXPIRED',
  // Connecting Microsoft
  'ALREADY_CONNECTED',
  'NO_ADMIN_AGENTS_GROUP',
  'NO_SERVICE_PRINCIPAL',
  'PARTNER_CENTER_APP_NOT_FOUND',
  'PREFLIGHT_NOT_PASSED',
  'REPLY_ADDRESS_NOT_REGISTERED',
  'SETUP_UNAVAILABLE',
  'STEP_ORDER',
  'TERMS_CHANGED',
  'TERMS_NOT_ACCEPTED',
  // Microsoft and the customer sync
  'MICROSOFT_GRAPH_PAGING',
  'MICROSOFT_UNREACHABLE',
  'NOT_CONNECTED',
  'NOTHING_TO_CHECK',
  'SYNC_PREVIOUS_RUN_ENDING',
  // Partners
  'PARTNER_NOT_FOUND',
  'PARTNER_STATE_CONFLICT',
  // The operator console
  'ACCOUNT_LOCKED',
  'ACTION_NOT_AVAILABLE',
  'ADMIN_ONLY',
  'CANNOT_DISABLE_SELF',
  'CONSOLE_SESSION_REQUIRED',
  'INVITE_EXPIRED',
  'INVITE_REVOKED',
  'INVITE_UNKNOWN',
  'INVITE_USED',
  'LAST_ADMIN',
  'OPERATOR_EXISTS',
  'OPERATOR_NOT_FOUND',
  'OPERATOR_NOT_INVITED',
  'SIGN_IN_FAILED',
  'SUPPORT_REQUEST_NOT_FOUND',
  // The credential vault
  'CREDENTIAL_NOT_FOUND',
  'VAULT_CONCURRENT_CHANGE',
  'VAULT_INTEGRITY_FAILED',
  'VAULT_KEY_ACTIVE',
  'VAULT_KEY_IN_USE',
  'VAULT_KEY_RING_CHECK_FAILED',
  'VAULT_KEY_RING_MISMATCH',
  'VAULT_KEY_RING_MISSING',
  'VAULT_NO_ROOT',
  'VAULT_UNAVAILABLE',
  // The demo inbox and /metrics
  'MAIL_NOT_FOUND',
  'METRICS_LOOPBACK_ONLY',
  'METRICS_NOT_ENABLED',
  'METRICS_TOKEN_REQUIRED',
] as const;

export type ApiErrorCode = (typeof apiErrorCodes)[number];
