// Microsoft identity platform error bodies. The token endpoint answers
// { error, error_description: "AADSTSnnnn: ...\r\nTrace ID: ...\r\nCorrelation ID: ...\r\nTimestamp: ...",
//   error_codes: [n], timestamp, trace_id, correlation_id, error_uri } and clients (MSAL) parse
// the AADSTS number from error_codes, so the emulator must produce the same shape.
import { randomUUID } from 'node:crypto';

export type OAuthErrorName =
  | 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client'
  | 'unsupported_grant_type' | 'invalid_scope' | 'interaction_required' | 'consent_required'
  | 'login_required' | 'access_denied' | 'temporarily_unavailable' | 'server_error' | 'invalid_resource'
  | 'unsupported_response_type' | 'invalid_tenant';

export class AadstsError extends Error {
  constructor(
    readonly code: number,
    readonly error: OAuthErrorName,
    message: string,
    readonly status = error === 'invalid_client' ? 401 : 400,
    readonly suberror?: string,
  ) {
    super(message);
  }
}

/** "2026-11-25 14:20:16Z", the timestamp format Entra uses in error bodies. */
export function aadTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export interface AadErrorBody {
  error: OAuthErrorName;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
  suberror?: string;
}

export function aadErrorBody(err: AadstsError, now: Date, correlationId: string = randomUUID()): AadErrorBody {
  const traceId = randomUUID();
  const timestamp = aadTimestamp(now);
  return {
    error: err.error,
    error_description: `AADSTS${err.code}: ${err.message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [err.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${err.code}`,
    ...(err.suberror ? { suberror: err.suberror } : {}),
  };
}

// The catalogue of errors the emulator produces, worded after Microsoft's messages.
export const aadsts = {
  /** Discovery and key documents answer `invalid_tenant`; the OAuth endpoints `invalid_request`. */
  tenantNotFound: (tenant: string, error: 'invalid_request' | 'invalid_tenant' = 'invalid_request') => new AadstsError(90002, error,
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`),
  appNotFound: (appId: string, tenant: string) => new AadstsError(700016, 'unauthorized_client',
    `Application with identifier '${appId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`),
  invalidSecret: (appId: string) => new AadstsError(7000215, 'invalid_client',
    `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${appId}'.`),
  expiredSecret: (appId: string) => new AadstsError(7000222, 'invalid_client',
    `The provided client secret keys for app '${appId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`),
  secretMissing: () => new AadstsError(7000218, 'invalid_client',
    `The request body must contain the following parameter: 'client_assertion' or 'client_secret'.`),
  publicClientWithSecret: () => new AadstsError(700025, 'invalid_client',
    `Client is public so neither 'client_assertion' nor 'client_secret' should be presented.`),
  badPassword: () => new AadstsError(50126, 'invalid_grant', 'Error validating credentials due to invalid username or password.'),
  userNotFound: (tenant: string) => new AadstsError(50034, 'invalid_grant',
    `The user account {EUII Hidden} does not exist in the ${tenant} directory. To sign into this application, the account must be added to the directory.`),
  userDisabled: () => new AadstsError(50057, 'invalid_grant', 'The user account is disabled.'),
  mfaRequired: (resource: string) => new AadstsError(50076, 'invalid_grant',
    `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '${resource}'.`, 400, 'basic_action'),
  mfaRegistrationRequired: () => new AadstsError(50079, 'interaction_required',
    'Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access this resource.'),
  mfaFailed: () => new AadstsError(500121, 'access_denied', 'Authentication failed during strong authentication request.'),
  blockedByConditionalAccess: () => new AadstsError(53003, 'access_denied',
    'Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.'),
  redirectMismatch: (redirectUri: string, appId: string) => new AadstsError(50011, 'invalid_request',
    `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${appId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`),
  consentMissing: (appId: string, appName: string) => new AadstsError(65001, 'invalid_grant',
    `The user or administrator has not consented to use the application with ID '${appId}' named '${appName}'. Send an interactive authorization request for this user and resource.`, 400, 'consent_required'),
  consentDeclined: () => new AadstsError(65004, 'access_denied', 'User declined to consent to access the app.'),
  refreshTokenIdle: (issuedAt: Date, inactiveDays: number) => new AadstsError(700082, 'invalid_grant',
    `The refresh token has expired due to inactivity. The token was issued on ${issuedAt.toISOString()} and was inactive for ${inactiveDays}.00:00:00.`, 400, 'bad_token'),
  grantRevoked: (issuedAt: Date, validFrom: Date) => new AadstsError(50173, 'invalid_grant',
    `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${issuedAt.toISOString()}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${validFrom.toISOString()}'.`, 400, 'bad_token'),
  malformedGrant: () => new AadstsError(9002313, 'invalid_grant', 'Invalid request. Request is malformed or invalid.'),
  codeRedeemed: () => new AadstsError(54005, 'invalid_grant', 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.'),
  codeExpired: () => new AadstsError(70008, 'invalid_grant', 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.'),
  pkceMismatch: () => new AadstsError(501481, 'invalid_grant', 'The Code_Verifier does not match the code_challenge supplied in the authorization request.'),
  pkceRequired: () => new AadstsError(9002325, 'invalid_request', 'Proof Key for Code Exchange is required for this authorization request: send code_challenge with code_challenge_method=S256.'),
  missingParameter: (name: string) => new AadstsError(900144, 'invalid_request', `The request body must contain the following parameter: '${name}'.`),
  unsupportedGrant: (grant: string) => new AadstsError(70003, 'unsupported_grant_type', `The app requested an unsupported grant type '${grant}'.`),
  multipleResources: () => new AadstsError(28000, 'invalid_scope',
    'Provided value for the input parameter scope is not valid because it contains more than one resource. Scope {scopes} is not valid.'),
  defaultScopeRequired: (scope: string) => new AadstsError(1002012, 'invalid_scope',
    `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`),
  resourceNotFound: (resource: string, tenant: string) => new AadstsError(500011, 'invalid_resource',
    `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`),
  scopeUnknown: (scope: string) => new AadstsError(70011, 'invalid_scope',
    `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`),
  /** "The grant type isn't supported over the /common or /consumers endpoints." (error code reference) */
  grantNotOnCommon: () => new AadstsError(9001023, 'invalid_request',
    'The grant type is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.'),
  /** MissingTenantRealmAndNoUserInformationProvided (error code reference). */
  noTenantInformation: () => new AadstsError(50059, 'invalid_request',
    'No tenant-identifying information found in either the request or implied by any provided credentials.'),
  loginRequired: () => new AadstsError(50058, 'login_required', 'A silent sign-in request was sent but no user is signed in.'),
};

export const aadstsMore = {
  adminApprovalRequired: () => new AadstsError(90094, 'access_denied', 'The grant requires admin permission.'),
  unsupportedResponseType: (value: string) => new AadstsError(700054, 'unsupported_response_type', `response_type '${value}' is not enabled for the application.`),
  publicClientNotAllowed: () => new AadstsError(700027, 'unauthorized_client', 'Client assertion failed signature validation: a public client cannot use the client credentials grant.'),
};
