// The one classifier of what Microsoft answers when TotalOne uses a partner's credentials: every
// identity (AADSTS), Microsoft Graph and Partner Center refusal, and every outage, falls into one of
// three kinds:
//
//   transient        retry with backoff; nobody needs to do anything (429, 5xx, timeouts, ...)
//   partner_action   retrying cannot help: the partner's admin must change something in Microsoft;
//                    `problem` and `fix` say what, in the words of Microsoft's portals
//   operator_action  retrying cannot help and the partner cannot fix it: TotalOne's operators must look
//
// `then` says what happens in TotalOne after the fix (enter a new secret, sign in again, check
// again). The table below is the single source of these texts: the identity, Graph and Partner
// Center errors take their messages from it, the wizard shows them at the field, the sync and the
// preflight record them as findings. The README of this module prints the same table.
//
// This file imports no error class (they import it): errors are recognised by their name and fields.

export type FailureKind = 'transient' | 'partner_action' | 'operator_action';

/** Which of the partner's credentials Microsoft was judging when it refused. */
export type CredentialSource = 'entra_app' | 'partner_center_app' | 'service_account';

/** What the partner does in TotalOne once the fix in Microsoft is done. */
export type AfterFix =
  /** A secret changed: TotalOne needs the new value. */
  | 'enter_new_secret'
  /** The stored sign-in of the service account is gone: sign in with it again. */
  | 'sign_in_again'
  /** Nothing to enter: the next check or import picks the fix up. */
  | 'check_again'
  /** Transient: it clears by itself. */
  | 'wait'
  /** Only TotalOne can continue. */
  | 'contact_support';

export interface Failure {
  kind: FailureKind;
  /** Stable code of the finding: `AADSTS7000222`, `GRAPH_Authorization_RequestDenied`, `PARTNER_CENTER_403`, ... */
  code: string;
  /** What went wrong, in plain words. */
  problem: string;
  /** The exact fix (the portal and the clicks) for partner_action; what to do or that nothing is needed otherwise. */
  fix: string;
  then: AfterFix;
  /** Which credential Microsoft refused, when known. */
  source?: CredentialSource;
  /** Transient: how long Microsoft asked us to wait. */
  retryAfterSeconds?: number;
  /** Partner Center no longer accepts the continuation point: the run restarts from the first page. */
  restartRun?: boolean;
}

/** What the caller knows that changes the fix. */
export interface FailureContext {
  /** Which credential was in use (defaults to the one the error names). */
  source?: CredentialSource;
  /** The reply address TotalOne signs in with (for AADSTS50011). */
  replyAddress?: string;
  /** The Microsoft Graph application permission the failed call needs (for Authorization_RequestDenied). */
  graphPermission?: string;
  /** The Partner Center request continued a paged list with a continuation token. */
  continuation?: boolean;
}

export const PORTAL = {
  entraApps: 'Entra admin center (entra.microsoft.com) > Identity > Applications > App registrations > All applications',
  entraCa: 'Entra admin center > Protection > Conditional Access',
  m365Users: 'Microsoft 365 admin center (admin.microsoft.com) > Users > Active users',
  pcUsers: 'Partner Center (partner.microsoft.com) > gear icon > Account settings > User management',
  pcApps: 'Partner Center > gear icon > Account settings > App management > Web app',
  securityInfo: 'https://aka.ms/mysecurityinfo',
} as const;

const APP_NAME: Record<CredentialSource, string> = {
  entra_app: 'the Entra app you registered for TotalOne',
  partner_center_app: 'the Partner Center web app',
  service_account: 'the Partner Center web app',
};

const WHO: Record<CredentialSource, string> = {
  entra_app: 'the credentials of the TotalOne app',
  partner_center_app: 'the credentials of the Partner Center web app',
  service_account: 'the sign-in of the service account',
};

function newSecretFix(source: CredentialSource): string {
  return source === 'entra_app'
    ? `In the ${PORTAL.entraApps} > the TotalOne app > Certificates & secrets > New client secret, create a secret and copy its Value column right away (it is shown only once).`
    : `In ${PORTAL.pcApps} > Add key, create a new key and copy it right away (it also appears in the Entra admin center under the web app's Certificates & secrets).`;
}

interface IdentityRow {
  kind: FailureKind;
  then: AfterFix;
  /** The code judges the service account (its password, MFA, stored sign-in), not an app's secret. */
  user?: true;
  problem: (source: CredentialSource) => string;
  fix: (source: CredentialSource, context: FailureContext) => string;
}

const signInAgainFix = 'Sign in again with the service account (the reconnect link from TotalOne support or your status page).';

/** AADSTS codes of the Microsoft identity platform. Unknown codes are operator_action. */
export const IDENTITY_ROWS: Record<number, IdentityRow> = {
  7000222: {
    kind: 'partner_action',
    then: 'enter_new_secret',
    problem: (s) => `The client secret of ${APP_NAME[s]} has expired.`,
    fix: (s) => newSecretFix(s),
  },
  7000215: {
    kind: 'partner_action',
    then: 'enter_new_secret',
    problem: (s) => `Microsoft does not accept the client secret of ${APP_NAME[s]}: it was deleted, or the secret's ID was copied instead of its value.`,
    fix: (s) => newSecretFix(s),
  },
  700016: {
    kind: 'partner_action',
    then: 'contact_support',
    problem: (s) => `No application with the ID entered for ${APP_NAME[s]} exists in the tenant (it was deleted, or the ID belongs to another tenant).`,
    fix: () => `Check the ID: in the ${PORTAL.entraApps} open the app and copy "Application (client) ID" from its Overview page. Make sure it is the tenant this app belongs to.`,
  },
  90002: {
    kind: 'partner_action',
    then: 'contact_support',
    problem: () => 'Microsoft does not know this tenant.',
    fix: () => 'Enter your tenant\u2019s primary domain (e.g. contoso.onmicrosoft.com) or its Tenant ID from the Entra admin center > Overview.',
  },
  65001: {
    kind: 'partner_action',
    then: 'check_again',
    problem: (s) => `${capitalise(APP_NAME[s])} has not been granted admin consent for the permissions it asks for.`,
    fix: (s) => `In the ${PORTAL.entraApps} > ${s === 'entra_app' ? 'the TotalOne app' : 'the Partner Center web app'} > API permissions, press "Grant admin consent for <your organization>".`,
  },
  50126: {
    kind: 'partner_action',
    user: true,
    then: 'sign_in_again',
    problem: () => 'The user name or password is wrong.',
    fix: () => 'Sign in with the service account created in Step 2 (e.g. total.one@yourdomain.onmicrosoft.com) and its current password.',
  },
  50076: {
    kind: 'partner_action',
    user: true,
    then: 'sign_in_again',
    problem: () => 'Your organization requires multi-factor authentication for the service account, and the sign-in did not complete it.',
    fix: () => `Sign in again with the service account and complete the multi-factor prompt (Microsoft Authenticator, SMS or a code). ${signInAgainFix}`,
  },
  50079: {
    kind: 'partner_action',
    user: true,
    then: 'sign_in_again',
    problem: () => 'The service account must register a multi-factor authentication method before it may sign in.',
    fix: () => `Sign in as the service account at ${PORTAL.securityInfo} and register a method (e.g. Microsoft Authenticator), then sign in to TotalOne again and complete the prompt.`,
  },
  50072: {
    kind: 'partner_action',
    user: true,
    then: 'sign_in_again',
    problem: () => 'Microsoft asked the service account to set up multi-factor authentication, and the setup was not finished.',
    fix: () => `Sign in as the service account at ${PORTAL.securityInfo} in a private window and register a method (e.g. Microsoft Authenticator), then sign in to TotalOne again and complete the prompt.`,
  },
  50074: {
    kind: 'partner_action',
    user: true,
    then: 'sign_in_again',
    problem: () => 'Microsoft asked for multi-factor authentication and it was not completed.',
    fix: () => `Make sure the service account has a method registered (${PORTAL.securityInfo}), then sign in again and complete the multi-factor prompt.`,
  },
  500121: {
    kind: 'partner_action',
    user: true,
    then: 'sign_in_again',
    problem: () => 'The multi-factor authentication of the service account failed (the prompt was denied, timed out or the code was wrong).',
    fix: () => 'Sign in again and approve the prompt or enter the current code of the service account\u2019s authenticator.',
  },
  65004: {
    kind: 'partner_action',
    user: true,
    then: 'sign_in_again',
    problem: () => 'The permissions were not accepted on Microsoft\u2019s consent page.',
    fix: () => 'TotalOne needs them to work with your Partner Center: sign in again and press Accept on the page where Microsoft lists the permissions.',
  },
  90094: {
    kind: 'partner_action',
    user: true,
    then: 'sign_in_again',
    problem: () => 'Microsoft asked for an administrator\u2019s approval of the permissions.',
    fix: () =>
      `Sign in with the service account, which must be a Global Administrator, and tick "Consent on behalf of your organization" before pressing Accept; or have a Global Administrator grant admin consent in the ${PORTAL.entraApps} > the Partner Center web app > API permissions.`,
  },
  90095: {
    kind: 'partner_action',
    user: true,
    then: 'sign_in_again',
    problem: () => 'Microsoft asked for an administrator\u2019s approval of the permissions (your tenant lets users request it).',
    fix: () =>
      `Sign in with the service account, which must be a Global Administrator, and accept for your organization; or have a Global Administrator grant admin consent in the ${PORTAL.entraApps} > the Partner Center web app > API permissions.`,
  },
  50011: {
    kind: 'partner_action',
    then: 'sign_in_again',
    problem: () => 'The reply address TotalOne signs in with is not registered on the Partner Center web app.',
    fix: (_s, c) =>
      `In the ${PORTAL.entraApps} > the Partner Center web app > Authentication > Web > Redirect URIs, add ${c.replyAddress ?? 'the reply address shown on the sign-in step'} exactly and press Save, then sign in again.`,
  },
  700082: {
    kind: 'partner_action',
    user: true,
    then: 'sign_in_again',
    problem: () => 'The stored sign-in of the service account expired because it was not used for 90 days.',
    fix: () => signInAgainFix,
  },
  50173: {
    kind: 'partner_action',
    user: true,
    then: 'sign_in_again',
    problem: () => 'The stored sign-in of the service account was revoked, usually because its password changed.',
    fix: () => `Sign in again with the service account and its new password (the reconnect link from TotalOne support or your status page).`,
  },
  53003: {
    kind: 'partner_action',
    user: true,
    then: 'check_again',
    problem: () => 'A Conditional Access policy in your tenant blocks the service account\u2019s sign-in to TotalOne.',
    fix: () => `In the ${PORTAL.entraCa}, open the policy that blocks it (the sign-in logs name it) and exclude the service account, or allow the Partner Center web app, then let TotalOne check again.`,
  },
  50034: {
    kind: 'partner_action',
    user: true,
    then: 'sign_in_again',
    problem: () => 'The service account no longer exists in your tenant.',
    fix: () => `Create it again (or pick the account that replaced it) in the ${PORTAL.m365Users} with the roles of Step 2, then sign in again with it.`,
  },
  50057: {
    kind: 'partner_action',
    user: true,
    then: 'check_again',
    problem: () => 'The service account is disabled (sign-in blocked).',
    fix: () => `In the ${PORTAL.m365Users} > the service account, turn "Block sign-in" off.`,
  },
  50055: {
    kind: 'partner_action',
    user: true,
    then: 'sign_in_again',
    problem: () => 'The service account\u2019s password has expired.',
    fix: () => `Set a new password for the service account in the ${PORTAL.m365Users} > Reset password, then sign in again with it.`,
  },
  900421: {
    kind: 'partner_action',
    user: true,
    then: 'sign_in_again',
    problem: () => 'Partner Center refused the request because the service account\u2019s sign-in did not use multi-factor authentication.',
    fix: () =>
      `Enforce MFA for the service account (${PORTAL.entraCa} > a policy that requires multifactor authentication for it, or per-user MFA in the ${PORTAL.m365Users} > Multi-factor authentication), then sign in again and complete the MFA prompt.`,
  },
};

/** OAuth error names that mean "Microsoft had a problem, try again" whatever the AADSTS code. */
const TRANSIENT_OAUTH_ERRORS = new Set(['temporarily_unavailable', 'server_error']);

interface ServiceRow {
  kind: FailureKind;
  then: AfterFix;
  problem: string;
  fix: (context: FailureContext) => string;
}

const transientFix = () => 'Nothing needs to change on your side.';

/** Microsoft Graph, by Graph's error code (then by HTTP status). */
export const GRAPH_ROWS: Record<string, ServiceRow> = {
  Authorization_RequestDenied: {
    kind: 'partner_action',
    then: 'check_again',
    problem: 'Microsoft Graph refused: the TotalOne app lacks a Microsoft Graph application permission or its admin consent.',
    fix: (c) =>
      `In the ${PORTAL.entraApps} > the TotalOne app > API permissions${c.graphPermission ? ` > Add a permission > Microsoft Graph > Application permissions, add ${c.graphPermission}, then` : ', make sure the Microsoft Graph application permissions are listed and'} press "Grant admin consent for <your organization>".`,
  },
  InvalidAuthenticationToken: {
    kind: 'transient',
    then: 'wait',
    problem: 'Microsoft Graph did not accept the access token (expired or not meant for Graph).',
    fix: transientFix,
  },
  Request_ResourceNotFound: {
    kind: 'operator_action',
    then: 'contact_support',
    problem: 'Microsoft Graph does not know an object TotalOne asked for.',
    fix: () => 'TotalOne support looks into it; nothing needs to change on your side for now.',
  },
};

/** Partner Center, by HTTP status (900421 is an identity row). */
export const PARTNER_CENTER_ROWS: Record<number, ServiceRow> = {
  401: {
    kind: 'partner_action',
    then: 'sign_in_again',
    problem: 'Partner Center no longer accepts the service account\u2019s sign-in.',
    fix: () => signInAgainFix,
  },
  403: {
    kind: 'partner_action',
    then: 'check_again',
    problem: 'Partner Center says the service account may not do this: it lacks the Admin agent role.',
    fix: () => `In ${PORTAL.pcUsers}, select the service account and tick "Admin agent" (this also adds it to the AdminAgents group in Entra ID).`,
  },
};

const CONTINUATION_ROW: ServiceRow = {
  kind: 'transient',
  then: 'wait',
  problem: 'Partner Center no longer accepts the point where the import stopped (its continuation token expired).',
  fix: () => 'Nothing needs to change on your side: TotalOne reads the list again from the beginning (customers already imported stay).',
};

const UNAVAILABLE: ServiceRow = {
  kind: 'transient',
  then: 'wait',
  problem: 'Microsoft is busy or did not answer in time.',
  fix: transientFix,
};

const THROTTLED: ServiceRow = {
  kind: 'transient',
  then: 'wait',
  problem: 'Microsoft is limiting how fast TotalOne may call it.',
  fix: transientFix,
};

const UNEXPECTED: ServiceRow = {
  kind: 'operator_action',
  then: 'contact_support',
  problem: 'Something unexpected went wrong on TotalOne\u2019s side.',
  fix: () => 'Nothing needs to change on your side for now: TotalOne support looks into it.',
};

/** Our own error codes that no retry can cure. */
const OPERATOR_CODES = new Set(['VAULT_INTEGRITY_FAILED', 'CREDENTIAL_NOT_FOUND', 'VAULT_NO_ROOT', 'NOT_CONNECTED']);

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function fromRow(row: ServiceRow, code: string, context: FailureContext, extra: Partial<Failure> = {}): Failure {
  return { kind: row.kind, code, problem: row.problem, fix: row.fix(context), then: row.then, ...extra };
}

/** The advice for an AADSTS code (and the credential involved), or undefined for codes not in the table. */
export function identityAdvice(aadsts: number | undefined, source: CredentialSource = 'service_account', context: FailureContext = {}): { problem: string; fix: string } | undefined {
  const row = aadsts === undefined ? undefined : IDENTITY_ROWS[aadsts];
  return row ? { problem: row.problem(source), fix: row.fix(source, context) } : undefined;
}

export function classifyIdentity(input: { aadsts?: number | undefined; oauthError?: string | undefined; description?: string | undefined }, context: FailureContext = {}): Failure {
  const row = input.aadsts === undefined ? undefined : IDENTITY_ROWS[input.aadsts];
  const source = row?.user ? 'service_account' : (context.source ?? 'service_account');
  const code = input.aadsts !== undefined ? `AADSTS${input.aadsts}` : (input.oauthError ?? 'identity').toUpperCase();
  if (row) return { kind: row.kind, code, problem: row.problem(source), fix: row.fix(source, context), then: row.then, source };
  if (input.oauthError && TRANSIENT_OAUTH_ERRORS.has(input.oauthError)) return fromRow(UNAVAILABLE, code, context, { source });
  return {
    kind: 'operator_action',
    code,
    problem: `Microsoft refused ${WHO[source]} with an answer TotalOne does not know (${code}).`,
    fix: 'TotalOne support looks into it and tells you what to change, if anything.',
    then: 'contact_support',
    source,
  };
}

export function classifyGraph(input: { status: number; code: string; retryAfterSeconds?: number | undefined }, context: FailureContext = {}): Failure {
  const code = `GRAPH_${input.code}`;
  if (input.status === 429) return fromRow(THROTTLED, code, context, { retryAfterSeconds: input.retryAfterSeconds ?? 30 });
  if (input.status >= 500) return fromRow(UNAVAILABLE, code, context, { retryAfterSeconds: input.retryAfterSeconds ?? 30 });
  const row = GRAPH_ROWS[input.code] ?? (input.status === 403 ? GRAPH_ROWS.Authorization_RequestDenied : input.status === 401 ? GRAPH_ROWS.InvalidAuthenticationToken : undefined);
  if (row) return fromRow(row, code, context, row.kind === 'partner_action' ? { source: 'entra_app' } : {});
  return { ...fromRow(UNEXPECTED, code, context), problem: `Microsoft Graph answered ${input.status} (${input.code}), which TotalOne did not expect.` };
}

export function classifyPartnerCenter(input: { status: number; code: number | string; retryAfterSeconds?: number | undefined }, context: FailureContext = {}): Failure {
  if (String(input.code) === '900421') return classifyIdentity({ aadsts: 900421 }, { ...context, source: 'service_account' });
  const code = `PARTNER_CENTER_${input.status}`;
  if (input.status === 429) return fromRow(THROTTLED, code, context, { retryAfterSeconds: input.retryAfterSeconds ?? 30 });
  if (input.status >= 500) return fromRow(UNAVAILABLE, code, context, { retryAfterSeconds: input.retryAfterSeconds ?? 30 });
  // A continuation token Partner Center no longer takes: re-reading the list is safe (upserts).
  if (context.continuation && (input.status === 400 || input.status === 404 || input.status === 410)) {
    return fromRow(CONTINUATION_ROW, 'PARTNER_CENTER_CONTINUATION_REFUSED', context, { restartRun: true });
  }
  const row = PARTNER_CENTER_ROWS[input.status];
  if (row) return fromRow(row, code, context, { source: 'service_account' });
  return { ...fromRow(UNEXPECTED, code, context), problem: `Partner Center answered ${input.status} (${String(input.code)}), which TotalOne did not expect.` };
}

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  status?: unknown;
  details?: { retryAfterSeconds?: unknown };
  aadsts?: unknown;
  oauthError?: unknown;
  source?: unknown;
  graphStatus?: unknown;
  graphCode?: unknown;
  partnerCenterStatus?: unknown;
  partnerCenterCode?: unknown;
}

const SOURCES = new Set<CredentialSource>(['entra_app', 'partner_center_app', 'service_account']);

/**
 * Classifies anything a call to Microsoft with a partner's credentials can throw: the identity
 * client's MicrosoftIdentityError, GraphError, PartnerCenterError, UnavailableError (timeouts,
 * unreachable, Microsoft's answer cut off, the vault unavailable), our own error codes, or a bug.
 */
export function classifyFailure(error: unknown, context: FailureContext = {}): Failure {
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorShape;
  const retryAfter = typeof e.details?.retryAfterSeconds === 'number' ? e.details.retryAfterSeconds : undefined;
  if (e.name === 'MicrosoftIdentityError') {
    const source = context.source ?? (typeof e.source === 'string' && SOURCES.has(e.source as CredentialSource) ? (e.source as CredentialSource) : undefined);
    return classifyIdentity(
      { aadsts: typeof e.aadsts === 'number' ? e.aadsts : undefined, oauthError: typeof e.oauthError === 'string' ? e.oauthError : undefined },
      { ...context, ...(source ? { source } : {}) },
    );
  }
  if (e.name === 'GraphError' && typeof e.graphStatus === 'number') {
    return classifyGraph({ status: e.graphStatus, code: String(e.graphCode), retryAfterSeconds: retryAfter }, context);
  }
  if (e.name === 'PartnerCenterError' && typeof e.partnerCenterStatus === 'number') {
    return classifyPartnerCenter({ status: e.partnerCenterStatus, code: e.partnerCenterCode as number | string, retryAfterSeconds: retryAfter }, context);
  }
  const code = typeof e.code === 'string' ? e.code : 'INTERNAL';
  if (OPERATOR_CODES.has(code)) return { ...fromRow(UNEXPECTED, code, context), problem: 'TotalOne could not use the stored credentials.' };
  if (e.status === 503 || e.name === 'UnavailableError') return fromRow(UNAVAILABLE, code, context, { retryAfterSeconds: retryAfter ?? 30 });
  return fromRow(UNEXPECTED, code, context);
}

/** What the partner does in TotalOne after the fix in Microsoft, in one sentence ('' when nothing). */
export function afterFixSentence(then: AfterFix, options: { interactive?: boolean } = {}): string {
  const after: Record<AfterFix, string> = {
    enter_new_secret: options.interactive ? 'Then enter the new value here.' : 'Then give TotalOne the new value: on your TotalOne status page press "Email me an update link" (it goes to your primary contact); never send a secret by email.',
    sign_in_again: '',
    check_again: options.interactive ? 'Then run the checks again.' : 'Then press "Check again" on your TotalOne status page.',
    wait: options.interactive ? 'Please try again in a minute.' : 'TotalOne tries again by itself.',
    contact_support: '',
  };
  return after[then];
}

/** The sentence for a person: problem, fix and what to do in TotalOne afterwards. */
export function describeFailure(failure: Failure, options: { interactive?: boolean } = {}): string {
  return [failure.problem, failure.fix, afterFixSentence(failure.then, options)].filter(Boolean).join(' ');
}
