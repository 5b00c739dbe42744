// Preflight evaluation (connect step 5): turns the facts collected from Microsoft Graph, Partner
// Center and the sign-in into the checklist the partner sees. Pure: no I/O, the clock is passed in.
// A fact we could not collect makes its checks 'unknown' (never a pass); every failure names the
// exact place in Microsoft's portals that fixes it.

export type CheckStatus = 'passed' | 'failed' | 'warning' | 'unknown';

export type PreflightCheckId =
  | 'service_account_global_admin'
  | 'service_account_in_admin_agents'
  | 'service_account_partner_center_roles'
  | 'mfa_performed'
  | 'graph_application_permissions'
  | 'gdap_permission'
  | 'delegated_user_read_consented'
  | 'app_in_admin_agents'
  | 'entra_secret'
  | 'partner_center_secret'
  | 'partner_center_api';

export interface PreflightCheck {
  id: PreflightCheckId;
  title: string;
  status: CheckStatus;
  required: boolean;
  /** What we found, in plain words. */
  found: string;
  /** Where and how to fix it; present unless the check passed. */
  fix?: string;
}

/** Why a fact could not be collected, when that calls for its own fix. */
export type UnknownCause = 'graph_permission' | 'no_graph_token' | 'unavailable';

/** A fact, or why it could not be collected. */
export type Known<T> = { known: true; value: T } | { known: false; reason: string; cause?: UnknownCause };

export const GLOBAL_ADMIN_ROLE_TEMPLATE_ID = '62e90394-69f5-4237-9190-012177145e10';
export const ADMIN_AGENTS_GROUP_NAME = 'AdminAgents';
export const USER_READ_SCOPE_ID = 'e1fe6dd8-ba31-4d61-89e7-88639da4683d';
/** The four Microsoft Graph application permissions of the guide's Step 2 (Graph's real app role ids). */
export const GRAPH_APPLICATION_PERMISSIONS = [
  { name: 'Directory.ReadWrite.All', id: '19dbc75e-c2e2-444c-a770-ec69d8559fc7' },
  { name: 'Group.ReadWrite.All', id: '62a82d76-70ea-41e2-9197-370581804d09' },
  { name: 'RoleManagement.ReadWrite.Directory', id: '9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8' },
  { name: 'User.ReadWrite.All', id: '741f803b-c850-494e-b5df-cde7c675a1ca' },
] as const;

/**
 * Recommended, not required: reading the GDAP relationships with the customers (which customers
 * TotalOne can administer). Application permission of Microsoft Graph, real app role id.
 */
export const GDAP_READ_PERMISSION = { name: 'DelegatedAdminRelationship.Read.All', id: 'f6e9e124-4586-492f-adc0-c6f96e4823fd' } as const;

const DAY_MS = 86_400_000;
export const SECRET_WARNING_DAYS = 30;

export interface SecretCredentialFacts {
  keyId: string;
  displayName: string | null;
  /** First three characters of the secret value, as Graph shows them. */
  hint: string | null;
  endDateTime: string | null;
}

export interface AppRegistrationFacts {
  appId: string;
  displayName: string;
  passwordCredentials: SecretCredentialFacts[];
  /** Microsoft Graph application permissions (app role ids) listed under API permissions. */
  requestedGraphRoleIds: string[];
  /** Microsoft Graph delegated permissions (scope ids) listed under API permissions. */
  requestedGraphScopeIds: string[];
}

export type PartnerCenterAnswer =
  | { outcome: 'answered'; customersOnFirstPage: number }
  | { outcome: 'refused'; status: number; code: number | string; message: string }
  | { outcome: 'unavailable'; reason: string }
  /** Microsoft would not renew the service account's sign-in (e.g. AADSTS50173 after a password change). */
  | { outcome: 'no_token'; aadsts?: number; message: string };

export interface PreflightFacts {
  serviceAccount: { objectId: string; upn?: string };
  /** The service account's directory roles (template ids) and groups, transitively (Graph). */
  serviceAccountMemberships: Known<{ roleTemplateIds: string[]; groupIds: string[] }>;
  /** `wids` of the service account's sign-in token: evidence when Graph cannot be read. */
  signInRoleTemplateIds?: string[];
  /** `amr` of the service account's Partner Center token; absent when there is no token. */
  signInMethods?: string[];
  /** null: the tenant has no AdminAgents group. */
  adminAgentsGroup: Known<{ id: string } | null>;
  /** null: no app registration with the entered id. */
  entraApp: Known<AppRegistrationFacts | null>;
  /** null: the app has no service principal (enterprise application) in the tenant. */
  entraAppServicePrincipal: Known<{ id: string; displayName: string } | null>;
  /** App role ids the Entra app's service principal holds on Microsoft Graph (appRoleAssignments). */
  grantedGraphRoleIds: Known<string[]>;
  /** `roles` of the Entra app's Graph token: what Microsoft had granted when it issued the token. */
  graphTokenRoles?: string[];
  /** Delegated scopes of Microsoft Graph consented for all users (AllPrincipals grants) to the Entra app. */
  consentedGraphScopes: Known<string[]>;
  appInAdminAgents: Known<boolean>;
  /** `refusal`: Microsoft refused to issue a token for the entered secret. */
  entraSecret: { hint: string; refusal?: { aadsts?: number; message: string } };
  partnerCenterApp: Known<AppRegistrationFacts | null>;
  partnerCenterSecret: { hint: string };
  /** How Partner Center answered GET /v1/customers with the service account's token. */
  partnerCenter: PartnerCenterAnswer;
}

const PORTAL = {
  entraApp: 'Entra admin center (entra.microsoft.com) > Identity > Applications > App registrations > All applications',
  entraGroups: 'Entra admin center > Identity > Groups > All groups',
  m365Users: 'Microsoft 365 admin center (admin.microsoft.com) > Users > Active users',
  pcUsers: 'Partner Center (partner.microsoft.com) > gear icon > Account settings > User management',
  pcApps: 'Partner Center > gear icon > Account settings > App management > Web app',
} as const;

const fixes = {
  globalAdmin: `In the ${PORTAL.m365Users}, select the service account > Manage roles > Admin center access > Global Administrator > Save changes. In Privileged Identity Management the assignment must be active, not only eligible.`,
  adminAgents: `In ${PORTAL.pcUsers}, select the service account and tick "Admin agent" (this adds it to the AdminAgents group). Or in the ${PORTAL.entraGroups} > AdminAgents > Members > Add members, add the service account.`,
  noAdminAgentsGroup: 'Partner Center creates the AdminAgents group when the tenant is enrolled as a Cloud Solution Provider. Check that you entered the Entra tenant linked to your Partner Center account (Partner Center > Account settings > Organization profile shows it).',
  incentives: `In ${PORTAL.pcUsers}, select the service account and confirm "Incentive administrator" is ticked (Step 2 of the guide, "A service account for TotalOne"). Partner Center's API does not report this role, so we cannot check it for you.`,
  partnerCenterRoles: `In ${PORTAL.pcUsers}, select the service account, tick "Admin agent" and "Incentive administrator", and save. Partner Center can take a few minutes to apply new roles; then run the checks again.`,
  mfa: 'Enforce MFA for the service account: Entra admin center > Protection > Conditional Access > a policy that requires multifactor authentication for it (or per-user MFA in the Microsoft 365 admin center > Users > Active users > Multi-factor authentication). Register a method (e.g. Microsoft Authenticator) at https://aka.ms/mysecurityinfo, then sign in here again and complete the MFA prompt.',
  consent: `In the ${PORTAL.entraApp} > your app > API permissions, press "Grant admin consent for <your organization>" and confirm.`,
  noServicePrincipal: `The app has no enterprise application (service principal) in this tenant yet, so nothing has been consented. In the ${PORTAL.entraApp} > your app > API permissions, press "Grant admin consent for <your organization>"; this creates it.`,
  appInAdminAgents: (app: string) => `Nothing is required. If you still want it (older versions of the guide asked for it): in the ${PORTAL.entraGroups} > AdminAgents > Members > Add members, search for "${app}" (listed under enterprise applications), select it and press Select.`,
  gdapPermission: `In the ${PORTAL.entraApp} > your app > API permissions > Add a permission > Microsoft Graph > Application permissions, add ${GDAP_READ_PERMISSION.name}, then press "Grant admin consent for <your organization>". Without it TotalOne imports your customers but cannot tell which of them you can administer through GDAP.`,
  signInAgain: 'Sign in again with the service account from this page; if it keeps failing, check that the account is enabled in the Microsoft 365 admin center > Users > Active users.',
  unreachable: 'Nothing needs to change on your side: run the checks again in a minute.',
  unexpected: 'Run the checks again; if this answer stays, contact TotalOne support and mention the time of the check.',
  unknownCause: {
    graph_permission: `Microsoft Graph needs the app's permissions to answer: in the ${PORTAL.entraApp} > your app > API permissions, press "Grant admin consent for <your organization>", then run the checks again.`,
    no_graph_token: 'First fix the Entra app secret (see that check), then run the checks again.',
    unavailable: 'Nothing needs to change on your side: run the checks again in a minute.',
  } satisfies Record<UnknownCause, string>,
} as const;

function check(id: PreflightCheckId, required: boolean, status: CheckStatus, found: string, fix?: string): PreflightCheck {
  return { id, title: TITLES[id], status, required, found, ...(status !== 'passed' && fix ? { fix } : {}) };
}

export const TITLES: Record<PreflightCheckId, string> = {
  service_account_global_admin: 'Service account is a Global Administrator',
  service_account_in_admin_agents: 'Service account is a member of AdminAgents',
  service_account_partner_center_roles: 'Service account holds the Partner Center roles (Admin Agent, Incentives Administrator)',
  mfa_performed: 'The sign-in used multi-factor authentication',
  graph_application_permissions: 'The Entra app\u2019s four Microsoft Graph application permissions are granted',
  gdap_permission: 'Recommended: the Entra app may read your GDAP relationships (DelegatedAdminRelationship.Read.All)',
  delegated_user_read_consented: 'Delegated permission User.Read has admin consent',
  app_in_admin_agents: 'Legacy: the Entra app is a member of AdminAgents',
  entra_secret: 'The Entra app secret you entered is valid',
  partner_center_secret: 'The Partner Center web app secret you entered is valid',
  partner_center_api: 'Partner Center answers for the service account',
};

/** An unknown check's fix removes what kept us from checking; without a known cause, the check's own fix. */
function unknownCheck(id: PreflightCheckId, required: boolean, missing: { reason: string; cause?: UnknownCause }, fix: string): PreflightCheck {
  const causeFix = missing.cause ? fixes.unknownCause[missing.cause] : undefined;
  return check(id, required, 'unknown', `Could not be checked: ${missing.reason}`, causeFix ?? fix);
}

function account(facts: PreflightFacts): string {
  return facts.serviceAccount.upn ?? 'The service account';
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function globalAdmin(facts: PreflightFacts): PreflightCheck {
  const id = 'service_account_global_admin';
  const m = facts.serviceAccountMemberships;
  if (m.known) {
    return m.value.roleTemplateIds.includes(GLOBAL_ADMIN_ROLE_TEMPLATE_ID)
      ? check(id, true, 'passed', `${account(facts)} holds an active Global Administrator role assignment.`)
      : check(id, true, 'failed', `${account(facts)} is not an active Global Administrator.`, fixes.globalAdmin);
  }
  const wids = facts.signInRoleTemplateIds;
  if (wids) {
    return wids.includes(GLOBAL_ADMIN_ROLE_TEMPLATE_ID)
      ? check(id, true, 'passed', `${account(facts)}\u2019s sign-in lists the Global Administrator role (taken from the sign-in, because Microsoft Graph could not be asked).`)
      : check(id, true, 'failed', `${account(facts)}\u2019s sign-in does not list the Global Administrator role (if you assigned it after signing in, sign in again).`, fixes.globalAdmin);
  }
  return unknownCheck(id, true, m, fixes.globalAdmin);
}

function serviceAccountInAdminAgents(facts: PreflightFacts): PreflightCheck {
  const id = 'service_account_in_admin_agents';
  const group = facts.adminAgentsGroup;
  if (!group.known) return unknownCheck(id, true, group, fixes.adminAgents);
  if (!group.value) return check(id, true, 'failed', 'This tenant has no AdminAgents group.', fixes.noAdminAgentsGroup);
  const m = facts.serviceAccountMemberships;
  if (!m.known) return unknownCheck(id, true, m, fixes.adminAgents);
  return m.value.groupIds.includes(group.value.id)
    ? check(id, true, 'passed', `${account(facts)} is a member of AdminAgents.`)
    : check(id, true, 'failed', `${account(facts)} is not a member of AdminAgents.`, fixes.adminAgents);
}

function partnerCenterRoles(facts: PreflightFacts): PreflightCheck {
  const id = 'service_account_partner_center_roles';
  const pc = facts.partnerCenter;
  if (pc.outcome === 'answered') {
    return check(id, false, 'unknown',
      'Admin Agent: confirmed (Partner Center lists your customers for the service account). Incentives Administrator: not reported by Partner Center\u2019s API, please confirm it yourself.',
      fixes.incentives);
  }
  if (pc.outcome === 'refused' && pc.status === 403) {
    return check(id, false, 'failed', 'Partner Center refused the service account: it does not hold the Admin Agent role.', fixes.partnerCenterRoles);
  }
  const reason = pc.outcome === 'unavailable' ? pc.reason
    : pc.outcome === 'no_token' ? 'there is no current sign-in of the service account (see the Partner Center check).'
      : `Partner Center refused the request (${pc.code}); see the Partner Center check.`;
  return unknownCheck(id, false, { reason }, fixes.incentives);
}

function mfaPerformed(facts: PreflightFacts): PreflightCheck {
  const id = 'mfa_performed';
  const methods = facts.signInMethods;
  if (!methods) return unknownCheck(id, true, { reason: 'there is no current sign-in of the service account (see the Partner Center check).' }, fixes.signInAgain);
  const list = methods.length > 0 ? methods.join(', ') : 'none reported';
  return methods.includes('mfa')
    ? check(id, true, 'passed', `The service account\u2019s sign-in used: ${list}.`)
    : check(id, true, 'failed', `The service account\u2019s sign-in used only: ${list}. Partner Center requires MFA.`, fixes.mfa);
}

function names(ids: Iterable<string>): string[] {
  const wanted = new Set(ids);
  return GRAPH_APPLICATION_PERMISSIONS.filter((p) => wanted.has(p.id)).map((p) => p.name);
}

function graphApplicationPermissions(facts: PreflightFacts): PreflightCheck {
  const id = 'graph_application_permissions';
  const sp = facts.entraAppServicePrincipal;
  if (sp.known && sp.value === null) return check(id, true, 'failed', 'None of the four permissions is granted: the app has no enterprise application in this tenant.', fixes.noServicePrincipal);

  let granted: Set<string>;
  let source = '';
  if (facts.grantedGraphRoleIds.known) {
    granted = new Set(facts.grantedGraphRoleIds.value);
  } else if (facts.graphTokenRoles) {
    const roles = new Set(facts.graphTokenRoles);
    granted = new Set(GRAPH_APPLICATION_PERMISSIONS.filter((p) => roles.has(p.name)).map((p) => p.id));
    source = ' (read from the app\u2019s access token, because Microsoft Graph refused to list the grants)';
  } else {
    return unknownCheck(id, true, facts.grantedGraphRoleIds, fixes.consent);
  }

  const missing = GRAPH_APPLICATION_PERMISSIONS.filter((p) => !granted.has(p.id));
  if (missing.length === 0) return check(id, true, 'passed', `Granted: ${names(granted).join(', ')}${source}.`);

  const requested = facts.entraApp.known && facts.entraApp.value ? new Set(facts.entraApp.value.requestedGraphRoleIds) : undefined;
  const describe = (p: (typeof GRAPH_APPLICATION_PERMISSIONS)[number]) =>
    requested === undefined ? p.name : requested.has(p.id) ? `${p.name} (requested, admin consent not granted)` : `${p.name} (not requested)`;
  const notRequested = requested ? missing.filter((p) => !requested.has(p.id)).map((p) => p.name) : [];
  const grantedNames = names(granted);
  const found = `Missing: ${missing.map(describe).join(', ')}${source}.${grantedNames.length ? ` Granted: ${grantedNames.join(', ')}.` : ''}`;
  const fix = notRequested.length > 0 || requested === undefined
    ? `In the ${PORTAL.entraApp} > your app > API permissions > Add a permission > Microsoft Graph > Application permissions, add ${requested === undefined ? `${missing.map((p) => p.name).join(', ')} (those not listed yet)` : notRequested.join(', ')}, then press "Grant admin consent for <your organization>".`
    : fixes.consent;
  return check(id, true, 'failed', found, fix);
}

function delegatedUserRead(facts: PreflightFacts): PreflightCheck {
  const id = 'delegated_user_read_consented';
  const sp = facts.entraAppServicePrincipal;
  if (sp.known && sp.value === null) return check(id, true, 'failed', 'User.Read has no admin consent: the app has no enterprise application in this tenant.', fixes.noServicePrincipal);
  const scopes = facts.consentedGraphScopes;
  if (!scopes.known) return unknownCheck(id, true, scopes, fixes.consent);
  if (scopes.value.some((s) => s.toLowerCase() === 'user.read')) return check(id, true, 'passed', 'User.Read is consented for all users of the organization.');
  const app = facts.entraApp.known ? facts.entraApp.value : undefined;
  if (app && !app.requestedGraphScopeIds.includes(USER_READ_SCOPE_ID)) {
    return check(id, true, 'failed', 'User.Read is neither requested nor consented.',
      `In the ${PORTAL.entraApp} > your app > API permissions > Add a permission > Microsoft Graph > Delegated permissions, add User.Read, then press "Grant admin consent for <your organization>".`);
  }
  return check(id, true, 'failed', `User.Read ${app ? 'is requested but ' : ''}has no admin consent for the organization.`, fixes.consent);
}

/**
 * A leftover of the DAP era: membership of AdminAgents gave an app admin rights in every customer
 * tenant. Under GDAP it grants nothing there (access comes from GDAP relationships and the security
 * groups of their access assignments), so this check never blocks; it only says what it finds.
 */
const LEGACY_NOTE = 'Under GDAP this membership grants nothing in your customers\u2019 tenants (that access comes from GDAP relationships), so TotalOne does not need it.';

function appInAdminAgents(facts: PreflightFacts): PreflightCheck {
  const id = 'app_in_admin_agents';
  const sp = facts.entraAppServicePrincipal;
  const appName = (sp.known && sp.value?.displayName) || (facts.entraApp.known && facts.entraApp.value?.displayName) || 'your Entra app';
  if (sp.known && sp.value === null) return check(id, false, 'warning', `The app has no enterprise application (service principal) in this tenant, so it is not in AdminAgents. ${LEGACY_NOTE}`, fixes.appInAdminAgents(appName));
  const group = facts.adminAgentsGroup;
  if (group.known && group.value === null) return check(id, false, 'warning', `This tenant has no AdminAgents group. ${LEGACY_NOTE}`, fixes.noAdminAgentsGroup);
  const member = facts.appInAdminAgents;
  if (!member.known) return unknownCheck(id, false, member, fixes.appInAdminAgents(appName));
  return member.value
    ? check(id, false, 'passed', `"${appName}" is a member of AdminAgents. ${LEGACY_NOTE} You may leave it or remove it.`)
    : check(id, false, 'warning', `"${appName}" is not a member of AdminAgents. ${LEGACY_NOTE}`, fixes.appInAdminAgents(appName));
}

function gdapPermission(facts: PreflightFacts): PreflightCheck {
  const id = 'gdap_permission';
  const sp = facts.entraAppServicePrincipal;
  if (sp.known && sp.value === null) return check(id, false, 'warning', `${GDAP_READ_PERMISSION.name} is not granted: the app has no enterprise application in this tenant.`, fixes.gdapPermission);
  let granted: boolean;
  let source = '';
  if (facts.grantedGraphRoleIds.known) {
    granted = facts.grantedGraphRoleIds.value.includes(GDAP_READ_PERMISSION.id);
  } else if (facts.graphTokenRoles) {
    granted = facts.graphTokenRoles.includes(GDAP_READ_PERMISSION.name);
    source = ' (read from the app\u2019s access token)';
  } else {
    return unknownCheck(id, false, facts.grantedGraphRoleIds, fixes.gdapPermission);
  }
  if (granted) return check(id, false, 'passed', `${GDAP_READ_PERMISSION.name} is granted${source}: TotalOne reads which customers you can administer through GDAP.`);
  const requested = facts.entraApp.known && facts.entraApp.value?.requestedGraphRoleIds.includes(GDAP_READ_PERMISSION.id);
  return check(id, false, 'warning',
    `${GDAP_READ_PERMISSION.name} is ${requested ? 'requested but has no admin consent' : 'not granted'}${source}. Your customers are imported all the same, but TotalOne cannot tell which of them you can administer through GDAP.`,
    requested ? fixes.consent : fixes.gdapPermission);
}

interface SecretPlace {
  id: 'entra_secret' | 'partner_center_secret';
  what: string;
  newSecret: string;
}

const SECRET_PLACES: Record<SecretPlace['id'], SecretPlace> = {
  entra_secret: {
    id: 'entra_secret',
    what: 'the Entra app',
    newSecret: `In the ${PORTAL.entraApp} > your app > Certificates & secrets > New client secret (24 months), copy the Value column right away and enter it in TotalOne.`,
  },
  partner_center_secret: {
    id: 'partner_center_secret',
    what: 'the Partner Center web app',
    newSecret: `In ${PORTAL.pcApps} > Add key, copy the new key right away and enter it in TotalOne (it also appears in the Entra admin center under the web app\u2019s Certificates & secrets).`,
  },
};

function secretCheck(place: SecretPlace, app: Known<AppRegistrationFacts | null>, hint: string, now: Date): PreflightCheck {
  if (!app.known) return unknownCheck(place.id, true, app, place.newSecret);
  if (!app.value) return check(place.id, true, 'failed', `No app registration with the ID entered for ${place.what} exists in this tenant.`, `Check the ID: ${PORTAL.entraApp} > the app > Overview > Application (client) ID.`);
  const credentials = app.value.passwordCredentials;
  const matches = hint.length >= 3 ? credentials.filter((c) => c.hint === hint) : [];
  if (matches.length === 0) {
    return check(place.id, true, 'failed',
      `The secret you entered is not one of the ${credentials.length} client secret(s) of "${app.value.displayName}" (perhaps deleted, or the secret of another app).`,
      place.newSecret);
  }
  // Several secrets may start with the same three characters: judge by the one that ends first.
  const ends = matches.map((c) => (c.endDateTime ? new Date(c.endDateTime) : null));
  const firstEnd = ends.reduce<Date | null>((a, b) => (a === null ? b : b === null ? a : a < b ? a : b), null);
  const ambiguity = matches.length > 1
    ? ` (${matches.length} secrets of this app begin like the one you entered; we judged by the one that expires first. Deleting the ones you no longer use in Certificates & secrets removes the doubt.)`
    : '';
  if (firstEnd === null) return check(place.id, true, 'passed', `Found among the secrets of "${app.value.displayName}"; it does not expire.${ambiguity}`);
  const daysLeft = Math.floor((firstEnd.getTime() - now.getTime()) / DAY_MS);
  if (firstEnd.getTime() <= now.getTime()) {
    return check(place.id, true, 'failed', `The secret expired on ${day(firstEnd)}.${ambiguity}`, place.newSecret);
  }
  if (firstEnd.getTime() - now.getTime() <= SECRET_WARNING_DAYS * DAY_MS) {
    return check(place.id, true, 'warning', `The secret expires on ${day(firstEnd)}, in ${daysLeft} day(s).${ambiguity}`, `Before ${day(firstEnd)}: ${place.newSecret}`);
  }
  return check(place.id, true, 'passed', `Found; it expires on ${day(firstEnd)} (in ${daysLeft} days).${ambiguity}`);
}

function entraSecret(facts: PreflightFacts, now: Date): PreflightCheck {
  const place = SECRET_PLACES.entra_secret;
  const refusal = facts.entraSecret.refusal;
  if (refusal) {
    if (refusal.aadsts === 7000222) return check(place.id, true, 'failed', 'Microsoft refused the secret: it has expired (AADSTS7000222).', place.newSecret);
    if (refusal.aadsts === 7000215) {
      return check(place.id, true, 'failed', 'Microsoft did not accept the secret (AADSTS7000215): often the secret\u2019s ID was copied instead of its value.', place.newSecret);
    }
    return check(place.id, true, 'failed', `Microsoft refused a token for the Entra app: ${refusal.message}`, place.newSecret);
  }
  return secretCheck(place, facts.entraApp, facts.entraSecret.hint, now);
}

function partnerCenterApi(facts: PreflightFacts): PreflightCheck {
  const id = 'partner_center_api';
  const pc = facts.partnerCenter;
  if (pc.outcome === 'answered') return check(id, true, 'passed', `Partner Center answered GET /v1/customers for the service account${pc.customersOnFirstPage === 0 ? ' (no customers yet)' : ''}.`);
  if (pc.outcome === 'unavailable') return unknownCheck(id, true, { reason: pc.reason, cause: 'unavailable' }, fixes.unreachable);
  if (pc.outcome === 'no_token') {
    return check(id, true, 'failed', `Microsoft would not renew the service account\u2019s sign-in${pc.aadsts ? ` (AADSTS${pc.aadsts})` : ''}: ${pc.message}`, fixes.signInAgain);
  }
  if (String(pc.code) === '900421') return check(id, true, 'failed', 'Partner Center refused the service account because the sign-in did not use MFA (error 900421).', fixes.mfa);
  if (pc.status === 403) return check(id, true, 'failed', 'Partner Center refused the service account (403): it lacks the Admin Agent role.', fixes.adminAgents);
  if (pc.status === 401) return check(id, true, 'failed', `Partner Center did not accept the sign-in (401, ${pc.code}).`, fixes.signInAgain);
  return check(id, true, 'failed', `Partner Center answered ${pc.status} (${pc.code})${pc.message ? `: ${pc.message}` : '.'}`, fixes.unexpected);
}

/** The checklist, in the order the partner sees it. */
export function evaluatePreflight(facts: PreflightFacts, now: Date): PreflightCheck[] {
  return [
    globalAdmin(facts),
    serviceAccountInAdminAgents(facts),
    partnerCenterRoles(facts),
    mfaPerformed(facts),
    graphApplicationPermissions(facts),
    gdapPermission(facts),
    delegatedUserRead(facts),
    appInAdminAgents(facts),
    entraSecret(facts, now),
    secretCheck(SECRET_PLACES.partner_center_secret, facts.partnerCenterApp, facts.partnerCenterSecret.hint, now),
    partnerCenterApi(facts),
  ];
}

/** Every required check passed or only warns. Unknown and failed never count as passed. */
export function allRequiredPassed(checks: readonly PreflightCheck[]): boolean {
  return checks.every((c) => !c.required || c.status === 'passed' || c.status === 'warning');
}
