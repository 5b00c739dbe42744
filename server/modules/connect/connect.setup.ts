import type { Db } from '../../db/database.ts';
import { MINUTE, type Clock } from '../../lib/clock.ts';
import { hmacHex, seal, unseal } from '../../lib/crypto.ts';
import { AppError, ConflictError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { GRAPH_APP_ID, GraphError, type GraphClient, type GraphRequiredResourceAccess } from '../microsoft/graph.client.ts';
import type { IdentityClient, TokenSet } from '../microsoft/identity.client.ts';
import type { MicrosoftCredentials } from '../microsoft/microsoft.credentials.ts';
import { MicrosoftIdentityError } from '../microsoft/microsoft.errors.ts';
import type { RequestMeta, SignupService } from '../signup/signup.service.ts';
import { ADMIN_AGENTS_GROUP_NAME, GDAP_READ_PERMISSION, GLOBAL_ADMIN_ROLE_TEMPLATE_ID, GRAPH_APPLICATION_PERMISSIONS, USER_READ_SCOPE_ID } from './connect.preflight.fns.ts';
import type { ConnectRepo } from './connect.repo.ts';
import type { ConnectService } from './connect.service.ts';

// "Set up Microsoft for me": an administrator of the partner's tenant signs in once to TotalOne's
// multi-tenant setup application and consents to the delegated Graph permissions below; with that
// token (used for this request only, never stored) the server registers the "Total One App" as
// the guide describes, puts its new client secret straight into the vault, and records each change
// with the way to undo it. Every action first reads what exists, so running it again changes nothing.

export const SETUP_APP_NAME = 'Total One App';
/** Left on the app registration, so a later run knows the app is TotalOne's own. */
export const SETUP_APP_NOTE = 'Created by TotalOne Signup ("Set up Microsoft for me"). TotalOne uses it with client credentials to manage your customers.';
const SECRET_NAME = 'TotalOne Signup';
/** Chosen lifetime of the client secret, shortened when the tenant's policy caps it. */
const SECRET_DAYS = 540;
const DAY_MS = 86_400_000;
const SETUP_LIFETIME = 15 * MINUTE;

/** The delegated Microsoft Graph permissions the setup asks for, each with the reason shown before the sign-in. */
export const SETUP_PERMISSIONS = [
  { name: 'Application.ReadWrite.All', why: 'Create the "Total One App" registration (or repair it), set its permissions and reply address, and create its client secret.' },
  { name: 'AppRoleAssignment.ReadWrite.All', why: 'Grant admin consent for the app\u2019s Microsoft Graph application permissions.' },
  { name: 'DelegatedPermissionGrant.ReadWrite.All', why: 'Grant admin consent for the app\u2019s delegated permission User.Read.' },
  { name: 'GroupMember.ReadWrite.All', why: 'Add the app to AdminAgents, only if you tick that option.' },
  { name: 'Directory.Read.All', why: 'Read the groups, roles and existing apps, so nothing is created twice.' },
  { name: 'Policy.Read.All', why: 'Read your tenant\u2019s app management policy, so the secret\u2019s lifetime stays within it.' },
  { name: 'UserAuthenticationMethod.Read.All', why: 'Check that the service account has a multi-factor authentication method registered (Partner Center requires MFA).' },
  { name: 'User.Read', why: 'Sign you in and read who you are.' },
] as const;

export type SetupActionStatus = 'done' | 'unchanged' | 'skipped' | 'failed';

export interface SetupAction {
  id: string;
  title: string;
  status: SetupActionStatus;
  detail: string;
  /** How to reverse this change by hand; present when something was changed. */
  undo?: string;
}

export interface SetupRun {
  at: string;
  outcome: 'completed' | 'refused';
  refusal?: { message: string; fix: string };
  actions: SetupAction[];
  appId?: string;
}

export interface SetupOptions {
  /** Add the app's service principal to AdminAgents (the legacy membership of the guide's Step 2). */
  addToAdminAgents: boolean;
  /** The Partner Center web app whose reply address the setup registers (optional). */
  partnerCenterWebAppId?: string;
  /** The service account to check (exists, Global Administrator, AdminAgents, MFA method); optional. */
  serviceAccountUpn?: string;
  /** Add the service account to AdminAgents when it is missing there. */
  fixServiceAccountGroup?: boolean;
}

interface Pending extends SetupOptions {
  partnerId: string;
  session: string;
  tenantId: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  expiresAt: number;
}

/** A refusal that ends the setup with a plain-words answer and the next step. */
class SetupRefusal extends Error {
  constructor(readonly answer: string, readonly fix: string) {
    super(answer);
  }
}

export function createConnectSetup(deps: {
  db: Db;
  repo: ConnectRepo;
  signup: SignupService;
  connect: ConnectService;
  audit: AuditService;
  identity: Pick<IdentityClient, 'resolveTenantId' | 'beginSignIn' | 'completeSignIn'>;
  graph: Pick<GraphClient, 'servicePrincipal' | 'application' | 'applicationRedirectUris' | 'appRoleAssignments' | 'groupByDisplayName' | 'addGroupMember' | 'grantAppRole' | 'createServicePrincipal' | 'createDelegatedGrant' | 'applicationsByDisplayName' | 'applicationOwners' | 'user' | 'transitiveMemberOf' | 'authenticationMethods' | 'createApplication' | 'updateApplication' | 'addPassword' | 'secretPolicy' | 'oauth2PermissionGrants'>;
  credentials: Pick<MicrosoftCredentials, 'sealEntraSecret' | 'insertSealed'>;
  clock: Clock;
  logger: Logger;
  sealKey: Buffer;
  /** TotalOne's setup application; absent: the setup is not offered. */
  setupApp: { clientId: string; clientSecret: string } | undefined;
  /** Where Microsoft sends the administrator back (…/api/connect/setup/callback). */
  redirectUri: string;
  /** The product's reply address for the service account's sign-in (…/api/connect/microsoft/callback). */
  replyAddress: string;
}) {
  const { db, repo, signup, connect, audit, identity, graph, clock } = deps;
  const bind = (sessionId: string) => hmacHex(deps.sealKey, `setup-session:${sessionId}`);
  const scope = ['openid', 'profile', ...SETUP_PERMISSIONS.map((p) => `https://graph.microsoft.com/${p.name}`)].join(' ');

  async function session(sessionId: string | undefined) {
    const current = await signup.currentSession(sessionId);
    await connect.requireTermsAccepted(current.partnerId, { linkSpent: current.linkSpent });
    return current;
  }

  async function lastRun(partnerId: string): Promise<SetupRun | undefined> {
    const events = await audit.forPartner(partnerId);
    const last = events.filter((e) => e.action === 'connect.microsoft_setup').at(-1);
    if (!last) return undefined;
    const details = (typeof last.details === 'string' ? JSON.parse(last.details) : last.details) as SetupRun;
    return details;
  }

  async function record(partnerId: string, run: SetupRun, meta: RequestMeta) {
    await audit.record(db, { actorType: 'partner', partnerId, action: 'connect.microsoft_setup', ip: meta.ip, details: run as unknown as Record<string, unknown> });
  }

  /** The guide's API permissions of the Total One App: four Graph application permissions, GDAP read, delegated User.Read. */
  function wantedAccess(): GraphRequiredResourceAccess {
    return {
      resourceAppId: GRAPH_APP_ID,
      resourceAccess: [
        ...GRAPH_APPLICATION_PERMISSIONS.map((p) => ({ id: p.id, type: 'Role' as const })),
        { id: GDAP_READ_PERMISSION.id, type: 'Role' as const },
        { id: USER_READ_SCOPE_ID, type: 'Scope' as const },
      ],
    };
  }

  /** The setup proper, with the administrator's delegated Graph token. */
  async function perform(token: string, partnerId: string, adminObjectId: string, options: SetupOptions, actions: SetupAction[]): Promise<string> {
    const step = (action: SetupAction) => actions.push(action);

    // 1. The tenant's app management policy decides whether and how long a secret may live.
    const policy = await graph.secretPolicy(token);
    if (policy.blocked) {
      throw new SetupRefusal(
        'Your tenant\u2019s app management policy blocks client secrets on applications (restriction "passwordAddition"), so TotalOne cannot create the secret it signs in with.',
        'In the Entra admin center > Identity > Applications > App management policies (or Graph policies/defaultAppManagementPolicy), exclude the "Total One App" from the password restriction or switch the restriction off, then run the setup again. Nothing else was changed.',
      );
    }
    const cap = policy.maxLifetime ? isoDurationDays(policy.maxLifetime) : undefined;
    const secretDays = cap !== undefined ? Math.max(1, Math.min(SECRET_DAYS, cap - 1)) : SECRET_DAYS;
    step({ id: 'policy', title: 'Read the tenant\u2019s app management policy', status: 'unchanged', detail: cap !== undefined ? `Client secrets may live at most ${policy.maxLifetime}: the new secret lives ${secretDays} days.` : 'No restriction on client secrets.' });

    // 2. The app registration: find ours (or one the administrator owns), else create it.
    const sameName = await graph.applicationsByDisplayName(token, SETUP_APP_NAME);
    let app: (typeof sameName)[number] | undefined;
    for (const candidate of sameName) {
      if (candidate.notes === SETUP_APP_NOTE) { app = candidate; break; }
      const owners = await graph.applicationOwners(token, candidate.id);
      if (owners.some((o) => o.id === adminObjectId)) { app = candidate; break; }
    }
    if (!app && sameName.length > 0) {
      const owners = await graph.applicationOwners(token, sameName[0]!.id);
      const who = owners.map((o) => o.userPrincipalName ?? o.displayName ?? o.id).join(', ') || 'nobody';
      throw new SetupRefusal(
        `An app registration named "${SETUP_APP_NAME}" already exists in your tenant (Application ID ${sameName[0]!.appId}, owned by ${who}), and it was not created by TotalOne nor is it yours. TotalOne does not take over someone else\u2019s app.`,
        `If it is the app you registered for TotalOne by hand, add yourself as its owner (Entra admin center > App registrations > ${SETUP_APP_NAME} > Owners > Add owners) and run the setup again. If it belongs to something else, rename it, then run the setup again. Nothing was changed.`,
      );
    }
    const wanted = wantedAccess();
    if (!app) {
      const created = await graph.createApplication(token, { displayName: SETUP_APP_NAME, notes: SETUP_APP_NOTE, requiredResourceAccess: [wanted] });
      app = { ...created, notes: SETUP_APP_NOTE };
      step({ id: 'app', title: `Create the app registration "${SETUP_APP_NAME}"`, status: 'done', detail: `Application (client) ID ${created.appId}, with the API permissions of the guide.`, undo: `Entra admin center > App registrations > ${SETUP_APP_NAME} > Delete.` });
    } else {
      const graphAccess = (app.requiredResourceAccess ?? []).find((r) => r.resourceAppId === GRAPH_APP_ID);
      const have = new Set((graphAccess?.resourceAccess ?? []).map((a) => `${a.type}:${a.id}`));
      const missing = wanted.resourceAccess.filter((a) => !have.has(`${a.type}:${a.id}`));
      if (missing.length > 0) {
        const merged = [
          ...(app.requiredResourceAccess ?? []).filter((r) => r.resourceAppId !== GRAPH_APP_ID),
          { resourceAppId: GRAPH_APP_ID, resourceAccess: [...(graphAccess?.resourceAccess ?? []), ...missing] },
        ];
        await graph.updateApplication(token, app.id, { requiredResourceAccess: merged });
        step({ id: 'app', title: `Repair the API permissions of "${SETUP_APP_NAME}"`, status: 'done', detail: `Added ${missing.length} missing permission(s).`, undo: `Entra admin center > App registrations > ${SETUP_APP_NAME} > API permissions: remove the added ones.` });
      } else {
        step({ id: 'app', title: `App registration "${SETUP_APP_NAME}"`, status: 'unchanged', detail: `Already there (Application ID ${app.appId}) with every permission of the guide.` });
      }
    }
    const appId = app.appId;

    // 3. Its service principal (enterprise application) and Microsoft Graph's.
    const existingSp = await graph.servicePrincipal(token, appId);
    const sp = existingSp ?? (await graph.createServicePrincipal(token, appId));
    step(existingSp
      ? { id: 'service_principal', title: 'Enterprise application (service principal)', status: 'unchanged', detail: 'Already there.' }
      : { id: 'service_principal', title: 'Create the enterprise application (service principal)', status: 'done', detail: 'Created, so permissions can be granted in your tenant.', undo: `Entra admin center > Enterprise applications > ${SETUP_APP_NAME} > Properties > Delete.` });
    const graphSp = await graph.servicePrincipal(token, GRAPH_APP_ID);
    if (!graphSp) throw new SetupRefusal('Microsoft Graph has no service principal in your tenant, which never happens in a working tenant.', 'Contact TotalOne support and mention the time of the setup.');

    // 4. Admin consent: the application permissions (app role assignments) and User.Read (grant).
    const assigned = new Set((await graph.appRoleAssignments(token, sp.id)).filter((a) => a.resourceId === graphSp.id).map((a) => a.appRoleId));
    const roles = [...GRAPH_APPLICATION_PERMISSIONS, GDAP_READ_PERMISSION];
    const granted: string[] = [];
    for (const role of roles) {
      if (assigned.has(role.id)) continue;
      const result = await graph.grantAppRole(token, graphSp.id, sp.id, role.id);
      if (result.created) granted.push(role.name);
    }
    step(granted.length > 0
      ? { id: 'app_permissions', title: 'Admin consent for the application permissions', status: 'done', detail: `Granted: ${granted.join(', ')}.`, undo: `Entra admin center > Enterprise applications > ${SETUP_APP_NAME} > Permissions: revoke ${granted.join(', ')}.` }
      : { id: 'app_permissions', title: 'Admin consent for the application permissions', status: 'unchanged', detail: `Already granted: ${roles.map((r) => r.name).join(', ')}.` });
    const grants = await graph.oauth2PermissionGrants(token, sp.id);
    const userRead = grants.some((g) => g.consentType === 'AllPrincipals' && g.resourceId === graphSp.id && g.scope.split(' ').includes('User.Read'));
    if (!userRead) await graph.createDelegatedGrant(token, { clientSpId: sp.id, resourceSpId: graphSp.id, scope: 'User.Read' });
    step(userRead
      ? { id: 'delegated_consent', title: 'Admin consent for User.Read', status: 'unchanged', detail: 'Already granted for all users.' }
      : { id: 'delegated_consent', title: 'Admin consent for User.Read', status: 'done', detail: 'Granted for all users.', undo: `Entra admin center > Enterprise applications > ${SETUP_APP_NAME} > Permissions: revoke User.Read.` });

    // 5. Optional, legacy: the app in AdminAgents.
    if (options.addToAdminAgents) {
      const group = await graph.groupByDisplayName(token, ADMIN_AGENTS_GROUP_NAME);
      if (!group) {
        step({ id: 'admin_agents', title: 'Add the app to AdminAgents', status: 'failed', detail: 'This tenant has no AdminAgents group: Partner Center creates it when the tenant is enrolled as a Cloud Solution Provider.' });
      } else {
        const added = await graph.addGroupMember(token, group.id, sp.id);
        step(added.added
          ? { id: 'admin_agents', title: 'Add the app to AdminAgents', status: 'done', detail: 'Added.', undo: `Entra admin center > Groups > AdminAgents > Members: remove ${SETUP_APP_NAME}.` }
          : { id: 'admin_agents', title: 'Add the app to AdminAgents', status: 'unchanged', detail: 'Already a member.' });
      }
    } else {
      step({ id: 'admin_agents', title: 'Add the app to AdminAgents', status: 'skipped', detail: 'Not asked for (not required; older versions of the guide did it).' });
    }

    // 6. The service account: exists, Global Administrator, in AdminAgents (fixed if asked), an MFA method.
    if (options.serviceAccountUpn) {
      const account = await graph.user(token, options.serviceAccountUpn);
      if (!account) {
        step({ id: 'service_account', title: 'Check the service account', status: 'failed', detail: `No user ${options.serviceAccountUpn} exists in your tenant. Create it (Microsoft 365 admin center > Users > Add a user) or correct the name.` });
      } else {
        const memberships = await graph.transitiveMemberOf(token, account.id);
        const globalAdmin = memberships.some((m) => m.roleTemplateId === GLOBAL_ADMIN_ROLE_TEMPLATE_ID);
        const group = await graph.groupByDisplayName(token, ADMIN_AGENTS_GROUP_NAME);
        let inAdminAgents = group ? memberships.some((m) => m.id === group.id) : false;
        let added = false;
        if (group && !inAdminAgents && options.fixServiceAccountGroup) {
          await graph.addGroupMember(token, group.id, account.id);
          inAdminAgents = true;
          added = true;
        }
        const methods = await graph.authenticationMethods(token, account.id);
        const mfa = methods.some((m) => m !== '#microsoft.graph.passwordAuthenticationMethod' && m !== '#microsoft.graph.emailAuthenticationMethod');
        const problems = [
          ...(globalAdmin ? [] : ['it is not a Global Administrator (Microsoft 365 admin center > Users > the account > Manage roles)']),
          ...(inAdminAgents ? [] : [group ? 'it is not in AdminAgents (tick "Fix it" above, or Partner Center > User management > Admin agent)' : 'the tenant has no AdminAgents group (enrol it as a Cloud Solution Provider)']),
          ...(mfa ? [] : ['it has no multi-factor authentication method registered (sign in as it at https://aka.ms/mysecurityinfo and add Microsoft Authenticator)']),
        ];
        const facts = `${account.userPrincipalName}: ${globalAdmin ? 'Global Administrator' : 'not a Global Administrator'}, ${inAdminAgents ? 'in AdminAgents' : 'not in AdminAgents'}${added ? ' (added now)' : ''}, ${mfa ? 'an MFA method registered' : 'no MFA method'}.`;
        step({
          id: 'service_account',
          title: 'Check the service account',
          status: problems.length > 0 ? 'failed' : added ? 'done' : 'unchanged',
          detail: problems.length > 0 ? `${facts} To fix: ${problems.join('; ')}.` : facts,
          ...(added ? { undo: `Entra admin center > Groups > AdminAgents > Members: remove ${account.userPrincipalName}.` } : {}),
        });
      }
    } else {
      step({ id: 'service_account', title: 'Check the service account', status: 'skipped', detail: 'No service account named: the checks after its sign-in cover it.' });
    }

    // 7. The reply address on the Partner Center web app the partner named.
    if (options.partnerCenterWebAppId) {
      const uris = await graph.applicationRedirectUris(token, options.partnerCenterWebAppId);
      const pcApp = uris ? await graph.application(token, options.partnerCenterWebAppId) : null;
      if (!uris || !pcApp) {
        step({ id: 'reply_address', title: 'Reply address on the Partner Center web app', status: 'failed', detail: `No app with the ID ${options.partnerCenterWebAppId} exists in your tenant. Copy the Web App ID from Partner Center > Account settings > App management > Web app, and run the setup again (or add the reply address there by hand).` });
      } else if (uris.web.includes(deps.replyAddress)) {
        step({ id: 'reply_address', title: 'Reply address on the Partner Center web app', status: 'unchanged', detail: `${deps.replyAddress} is already registered.` });
      } else {
        await graph.updateApplication(token, pcApp.id, { web: { redirectUris: [...uris.web, deps.replyAddress] } });
        step({ id: 'reply_address', title: 'Reply address on the Partner Center web app', status: 'done', detail: `Registered ${deps.replyAddress} as a Web redirect URI.`, undo: `Entra admin center > App registrations > ${uris.displayName ?? options.partnerCenterWebAppId} > Authentication: remove ${deps.replyAddress}.` });
      }
    } else {
      step({ id: 'reply_address', title: 'Reply address on the Partner Center web app', status: 'skipped', detail: 'No Partner Center Web App ID given: the wizard checks the reply address before the sign-in and says how to add it.' });
    }

    // 8. The client secret, straight into the vault. Re-running keeps a stored secret of this app.
    const connection = await repo.connection(db, partnerId);
    const stored = connection?.entra_app_id === appId && connection.entra_validated_at && (connection.pending_entra_secret || connection.partner_center_validated_at);
    if (stored) {
      step({ id: 'secret', title: 'Client secret in TotalOne\u2019s vault', status: 'unchanged', detail: 'TotalOne already holds a secret of this app.' });
    } else {
      const endDateTime = new Date(clock.now().getTime() + secretDays * DAY_MS).toISOString();
      let secret: { keyId: string; secretText: string; endDateTime: string };
      try {
        secret = await graph.addPassword(token, app.id, { displayName: SECRET_NAME, endDateTime });
      } catch (error) {
        if (error instanceof GraphError && error.graphStatus === 400 && /policy/i.test(error.graphMessage)) {
          throw new SetupRefusal(
            `Your tenant\u2019s app management policy refused the client secret (Microsoft: "${error.graphMessage}").`,
            'In the Entra admin center > App management policies, exclude the "Total One App" from the password restrictions (or allow a longer lifetime), then run the setup again. The app registration and its permissions stay in place.',
          );
        }
        throw error;
      }
      await saveSecret(partnerId, appId, secret.secretText);
      step({ id: 'secret', title: 'Create the client secret and keep it in TotalOne\u2019s vault', status: 'done', detail: `Secret "${SECRET_NAME}", valid until ${secret.endDateTime.slice(0, 10)}; you never need to copy it.`, undo: `Entra admin center > App registrations > ${SETUP_APP_NAME} > Certificates & secrets: delete "${SECRET_NAME}" (ID ${secret.keyId}).` });
    }
    return appId;
  }

  /** Keeps the new secret as the wizard's Entra step does: in the vault, or sealed until the vault root arrives. */
  async function saveSecret(partnerId: string, appId: string, secretText: string) {
    const connection = await repo.connection(db, partnerId);
    const now = clock.now();
    const sealedInVault = connection?.partner_center_validated_at ? await deps.credentials.sealEntraSecret(partnerId, secretText) : undefined;
    await db.transaction().execute(async (tx) => {
      if (sealedInVault) await deps.credentials.insertSealed(tx, sealedInVault);
      await repo.saveConnection(tx, partnerId, {
        entra_app_id: appId,
        entra_secret_hint: secretText.slice(0, 3),
        entra_validated_at: now,
        pending_entra_secret: sealedInVault ? null : seal(deps.sealKey, secretText, `pending-entra:${partnerId}`),
        last_preflight_run_id: null,
        updated_at: now,
      });
    });
  }

  return {
    available: () => deps.setupApp !== undefined,

    async view(sessionId: string | undefined) {
      const current = await session(sessionId);
      return {
        available: deps.setupApp !== undefined,
        permissions: SETUP_PERMISSIONS.map((p) => ({ name: p.name, why: p.why })),
        tokenKept: false as const,
        lastRun: (await lastRun(current.partnerId)) ?? null,
      };
    },

    /** Where to send the administrator's browser; the checks (state, nonce, PKCE) travel sealed in a cookie. */
    async start(sessionId: string | undefined, options: SetupOptions): Promise<{ authorizeUrl: string; pending: string }> {
      const current = await session(sessionId);
      if (!deps.setupApp) throw new ConflictError('SETUP_UNAVAILABLE', 'The automatic setup is not configured on this server; follow the manual steps of the guide.');
      const tenantId = await identity.resolveTenantId(current.entraDomain);
      const request = await identity.beginSignIn({ tenant: tenantId, clientId: deps.setupApp.clientId, clientSecret: deps.setupApp.clientSecret, redirectUri: deps.redirectUri, scope, requireMfa: true });
      const pending: Pending = {
        ...options, partnerId: current.partnerId, session: bind(sessionId!), tenantId, state: request.state, nonce: request.nonce, codeVerifier: request.codeVerifier,
        expiresAt: clock.now().getTime() + SETUP_LIFETIME,
      };
      return { authorizeUrl: request.url, pending: seal(deps.sealKey, JSON.stringify(pending), 'setup-pending') };
    },

    /** Microsoft's redirect back: complete the sign-in, perform the setup, record the outcome (the browser then goes back to the wizard). */
    async complete(sessionId: string | undefined, callbackUrl: URL, sealedPending: string | undefined, meta: RequestMeta): Promise<void> {
      const current = await signup.currentSession(sessionId);
      const at = clock.now().toISOString();
      const refuse = (message: string, fix: string, actions: SetupAction[] = []) => record(current.partnerId, { at, outcome: 'refused', refusal: { message, fix }, actions }, meta);
      let pending: Pending | undefined;
      try {
        pending = sealedPending ? (JSON.parse(unseal(deps.sealKey, sealedPending, 'setup-pending')) as Pending) : undefined;
      } catch {
        pending = undefined;
      }
      if (!pending || pending.partnerId !== current.partnerId || pending.session !== bind(sessionId!) || pending.expiresAt < clock.now().getTime() || callbackUrl.searchParams.get('state') !== pending.state) {
        await refuse('This answer from Microsoft does not belong to a setup started in this browser in the last 15 minutes.', 'Press "Set up Microsoft for me" again.');
        return;
      }
      const error = callbackUrl.searchParams.get('error');
      if (error || !callbackUrl.searchParams.get('code')) {
        const description = callbackUrl.searchParams.get('error_description') ?? '';
        const aadsts = /AADSTS(\d+)/.exec(description)?.[1];
        if (aadsts === '90094' || aadsts === '90095') {
          await refuse('The account you signed in with may not approve these permissions: only an administrator can (Global Administrator, or Privileged Role Administrator and Cloud Application Administrator).', 'Sign in with a Global Administrator of your tenant, or ask one to run "Set up Microsoft for me" from this page.');
        } else if (aadsts === '65004' || error === 'access_denied') {
          await refuse('The permissions were not accepted on Microsoft\u2019s consent page, so nothing was changed.', 'Press "Set up Microsoft for me" again and accept; each permission and why it is needed is listed above the button. Or follow the manual steps of the guide.');
        } else {
          await refuse(`Microsoft did not complete the sign-in${aadsts ? ` (AADSTS${aadsts})` : ''}.`, 'Press "Set up Microsoft for me" again; if it keeps failing, follow the manual steps of the guide.');
        }
        return;
      }
      let tokens: TokenSet;
      try {
        tokens = await identity.completeSignIn({ tenantId: pending.tenantId, clientId: deps.setupApp!.clientId, clientSecret: deps.setupApp!.clientSecret, callbackUrl, state: pending.state, nonce: pending.nonce, codeVerifier: pending.codeVerifier });
      } catch (cause) {
        if (!(cause instanceof AppError)) deps.logger.warn({ err: cause }, 'setup sign-in could not be completed');
        await refuse(cause instanceof MicrosoftIdentityError ? cause.message : 'Microsoft\u2019s answer could not be verified.', 'Press "Set up Microsoft for me" again.');
        return;
      }
      const tid = String(tokens.accessClaims.tid ?? '');
      if (tid !== pending.tenantId) {
        await refuse('You signed in with an account of another tenant.', `Sign in with an administrator of ${current.entraDomain}; an InPrivate/incognito window keeps other Microsoft accounts out.`);
        return;
      }
      const actions: SetupAction[] = [];
      try {
        // Fixed tenant for the rest of the wizard, as the manual Entra step sets it.
        await repo.saveConnection(db, current.partnerId, { tenant_input: current.entraDomain, tenant_id: tid, updated_at: clock.now() });
        const appId = await perform(tokens.accessToken, current.partnerId, String(tokens.accessClaims.oid ?? ''), pending, actions);
        await record(current.partnerId, { at, outcome: 'completed', actions, appId }, meta);
      } catch (cause) {
        if (cause instanceof SetupRefusal) {
          await refuse(cause.answer, cause.fix, actions);
          return;
        }
        if (cause instanceof GraphError && cause.graphStatus === 403) {
          await refuse(`Microsoft refused a step (${cause.graphCode}): the account lacks an administrator role for it.`, 'Sign in with a Global Administrator and run the setup again; what was already done stays and is not repeated.', actions);
          return;
        }
        deps.logger.warn({ err: cause }, 'setup failed');
        await refuse(cause instanceof AppError ? cause.message : 'The setup stopped on an unexpected answer from Microsoft.', 'Run the setup again: what was already done is not repeated.', actions);
      }
    },
  };
}

export type ConnectSetup = ReturnType<typeof createConnectSetup>;

/** Days of an ISO 8601 duration such as P90D or P1Y (years as 365 days, months as 30). */
function isoDurationDays(value: string): number | undefined {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?)?/.exec(value);
  if (!m) return undefined;
  const [, y, mo, w, d, h] = m.map((v) => Number(v ?? 0));
  return y! * 365 + mo! * 30 + w! * 7 + d! + Math.floor(h! / 24);
}
