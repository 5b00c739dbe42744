import type { Db, DbOrTx } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { GRAPH_APP_ID, GraphError, type GraphClient, type GraphRequiredResourceAccess } from '../microsoft/graph.client.ts';
import type { MicrosoftCredentials } from '../microsoft/microsoft.credentials.ts';
import { ADMIN_AGENTS_GROUP_NAME, GDAP_READ_PERMISSION, GLOBAL_ADMIN_ROLE_TEMPLATE_ID, GRAPH_APPLICATION_PERMISSIONS, USER_READ_SCOPE_ID } from './connect.preflight.fns.ts';
import type { ConnectRepo } from './connect.repo.ts';
import { heldSecret, isoDurationDays, type SetupAction } from './connect.setup.fns.ts';

// The actions of "Set up Microsoft for me", in order, with the administrator's delegated Graph
// token. Each first reads what exists and changes only what is missing, so a run cut off anywhere
// (or simply run again) finds what was done and does not do it twice. Each action is reported as
// soon as it is done (the wizard shows it live) with the way to undo it.

export const SETUP_APP_NAME = 'Total One App';
/** Left on the app registration, so a later run knows the app is TotalOne's own. */
export const SETUP_APP_NOTE = 'Created by TotalOne Signup ("Set up Microsoft for me"). TotalOne uses it with client credentials to manage your customers.';
const SECRET_NAME = 'TotalOne Signup';
/** Chosen lifetime of the client secret, shortened when the tenant's policy caps it. */
const SECRET_DAYS = 540;
const DAY_MS = 86_400_000;

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

/** A refusal that ends the setup with a plain-words answer and the next step. */
export class SetupRefusal extends Error {
  constructor(readonly answer: string, readonly fix: string) {
    super(answer);
  }
}

/** The run was given up while it waited (its server was presumed gone) and another replaced it. */
export class SetupSuperseded extends Error {
  constructor() {
    super('this setup run was replaced by a newer one');
  }
}

export interface SetupRunContext {
  token: string;
  partnerId: string;
  adminObjectId: string;
  options: SetupOptions;
  /** Reports an action as soon as it is done; throws SetupSuperseded when the run was given up. */
  step(action: SetupAction): Promise<void>;
  /** Inside the transaction that stores a new secret: false when the run was given up meanwhile. */
  stillRunning(tx: DbOrTx): Promise<boolean>;
}

export type SetupGraph = Pick<GraphClient, 'servicePrincipal' | 'application' | 'applicationRedirectUris' | 'appRoleAssignments' | 'groupByDisplayName' | 'addGroupMember' | 'grantAppRole' | 'createServicePrincipal' | 'createDelegatedGrant' | 'applicationsByDisplayName' | 'applicationOwners' | 'user' | 'transitiveMemberOf' | 'authenticationMethods' | 'createApplication' | 'updateApplication' | 'addPassword' | 'removePassword' | 'secretPolicy' | 'oauth2PermissionGrants'>;

export function createSetupActions(deps: {
  db: Db;
  repo: ConnectRepo;
  graph: SetupGraph;
  credentials: Pick<MicrosoftCredentials, 'sealEntraSecret' | 'insertSealed' | 'holdEntraSecret' | 'pendingEntraSecret'>;
  clock: Clock;
  /** The product's reply address for the service account's sign-in (…/api/connect/microsoft/callback). */
  replyAddress: string;
}) {
  const { db, repo, graph, clock } = deps;
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
  async function perform(run: SetupRunContext): Promise<string> {
    const { token, partnerId, adminObjectId, options } = run;
    const step = (action: SetupAction) => run.step(action);

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
    await step({ id: 'policy', title: 'Read the tenant\u2019s app management policy', status: 'unchanged', detail: cap !== undefined ? `Client secrets may live at most ${policy.maxLifetime}: the new secret lives ${secretDays} days.` : 'No restriction on client secrets.' });

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
      await step({ id: 'app', title: `Create the app registration "${SETUP_APP_NAME}"`, status: 'done', detail: `Application (client) ID ${created.appId}, with the API permissions of the guide.`, undo: `Entra admin center > App registrations > ${SETUP_APP_NAME} > Delete.` });
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
        await step({ id: 'app', title: `Repair the API permissions of "${SETUP_APP_NAME}"`, status: 'done', detail: `Added ${missing.length} missing permission(s).`, undo: `Entra admin center > App registrations > ${SETUP_APP_NAME} > API permissions: remove the added ones.` });
      } else {
        await step({ id: 'app', title: `App registration "${SETUP_APP_NAME}"`, status: 'unchanged', detail: `Already there (Application ID ${app.appId}) with every permission of the guide.` });
      }
    }
    const appId = app.appId;

    // 3. Its service principal (enterprise application) and Microsoft Graph's.
    const existingSp = await graph.servicePrincipal(token, appId);
    const sp = existingSp ?? (await graph.createServicePrincipal(token, appId));
    await step(existingSp
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
    await step(granted.length > 0
      ? { id: 'app_permissions', title: 'Admin consent for the application permissions', status: 'done', detail: `Granted: ${granted.join(', ')}.`, undo: `Entra admin center > Enterprise applications > ${SETUP_APP_NAME} > Permissions: revoke ${granted.join(', ')}.` }
      : { id: 'app_permissions', title: 'Admin consent for the application permissions', status: 'unchanged', detail: `Already granted: ${roles.map((r) => r.name).join(', ')}.` });
    const grants = await graph.oauth2PermissionGrants(token, sp.id);
    const userRead = grants.some((g) => g.consentType === 'AllPrincipals' && g.resourceId === graphSp.id && g.scope.split(' ').includes('User.Read'));
    if (!userRead) await graph.createDelegatedGrant(token, { clientSpId: sp.id, resourceSpId: graphSp.id, scope: 'User.Read' });
    await step(userRead
      ? { id: 'delegated_consent', title: 'Admin consent for User.Read', status: 'unchanged', detail: 'Already granted for all users.' }
      : { id: 'delegated_consent', title: 'Admin consent for User.Read', status: 'done', detail: 'Granted for all users.', undo: `Entra admin center > Enterprise applications > ${SETUP_APP_NAME} > Permissions: revoke User.Read.` });

    // 5. Optional, legacy: the app in AdminAgents.
    if (options.addToAdminAgents) {
      const group = await graph.groupByDisplayName(token, ADMIN_AGENTS_GROUP_NAME);
      if (!group) {
        await step({ id: 'admin_agents', title: 'Add the app to AdminAgents', status: 'failed', detail: 'This tenant has no AdminAgents group: Partner Center creates it when the tenant is enrolled as a Cloud Solution Provider.' });
      } else {
        const added = await graph.addGroupMember(token, group.id, sp.id);
        await step(added.added
          ? { id: 'admin_agents', title: 'Add the app to AdminAgents', status: 'done', detail: 'Added.', undo: `Entra admin center > Groups > AdminAgents > Members: remove ${SETUP_APP_NAME}.` }
          : { id: 'admin_agents', title: 'Add the app to AdminAgents', status: 'unchanged', detail: 'Already a member.' });
      }
    } else {
      await step({ id: 'admin_agents', title: 'Add the app to AdminAgents', status: 'skipped', detail: 'Not asked for (not required; older versions of the guide did it).' });
    }

    // 6. The service account: exists, Global Administrator, in AdminAgents (fixed if asked), an MFA method.
    if (options.serviceAccountUpn) {
      const account = await graph.user(token, options.serviceAccountUpn);
      if (!account) {
        await step({ id: 'service_account', title: 'Check the service account', status: 'failed', detail: `No user ${options.serviceAccountUpn} exists in your tenant. Create it (Microsoft 365 admin center > Users > Add a user) or correct the name.` });
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
        await step({
          id: 'service_account',
          title: 'Check the service account',
          status: problems.length > 0 ? 'failed' : added ? 'done' : 'unchanged',
          detail: problems.length > 0 ? `${facts} To fix: ${problems.join('; ')}.` : facts,
          ...(added ? { undo: `Entra admin center > Groups > AdminAgents > Members: remove ${account.userPrincipalName}.` } : {}),
        });
      }
    } else {
      await step({ id: 'service_account', title: 'Check the service account', status: 'skipped', detail: 'No service account named: the checks after its sign-in cover it.' });
    }

    // 7. The reply address on the Partner Center web app the partner named.
    if (options.partnerCenterWebAppId) {
      const uris = await graph.applicationRedirectUris(token, options.partnerCenterWebAppId);
      const pcApp = uris ? await graph.application(token, options.partnerCenterWebAppId) : null;
      if (!uris || !pcApp) {
        await step({ id: 'reply_address', title: 'Reply address on the Partner Center web app', status: 'failed', detail: `No app with the ID ${options.partnerCenterWebAppId} exists in your tenant. Copy the Web App ID from Partner Center > Account settings > App management > Web app, and run the setup again (or add the reply address there by hand).` });
      } else if (uris.web.includes(deps.replyAddress)) {
        await step({ id: 'reply_address', title: 'Reply address on the Partner Center web app', status: 'unchanged', detail: `${deps.replyAddress} is already registered.` });
      } else {
        await graph.updateApplication(token, pcApp.id, { web: { redirectUris: [...uris.web, deps.replyAddress] } });
        await step({ id: 'reply_address', title: 'Reply address on the Partner Center web app', status: 'done', detail: `Registered ${deps.replyAddress} as a Web redirect URI.`, undo: `Entra admin center > App registrations > ${uris.displayName ?? options.partnerCenterWebAppId} > Authentication: remove ${deps.replyAddress}.` });
      }
    } else {
      await step({ id: 'reply_address', title: 'Reply address on the Partner Center web app', status: 'skipped', detail: 'No Partner Center Web App ID given: the wizard checks the reply address before the sign-in and says how to add it.' });
    }

    // 8. The client secret, straight into the vault. A run again keeps the secret TotalOne holds
    // while it is still one of the app's; deleted in Entra (or ended), a new one replaces it.
    const connection = await repo.connection(db, partnerId);
    const stored = connection?.entra_app_id === appId && connection.entra_validated_at && (connection.partner_center_validated_at || (await deps.credentials.pendingEntraSecret(partnerId)) !== undefined);
    const held = stored ? heldSecret(app.passwordCredentials ?? [], connection!.entra_secret_hint, clock.now()) : undefined;
    if (held?.state === 'present') {
      await step({ id: 'secret', title: 'Client secret in TotalOne\u2019s vault', status: 'unchanged', detail: `TotalOne holds a secret of this app (beginning ${connection!.entra_secret_hint}, ID ${held.keyId}) and it is still there.` });
      return appId;
    }
    const replaces = !held
      ? ''
      : held.state === 'missing'
        ? `The secret TotalOne held (beginning ${connection!.entra_secret_hint}) is no longer on the app (deleted in Entra): this one replaces it. `
        : `The secret TotalOne held (beginning ${connection!.entra_secret_hint}) ended on ${held.endDateTime.slice(0, 10)}: this one replaces it. `;
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
    // A secret TotalOne could not keep (the run was given up meanwhile, or storing failed) is
    // deleted again, so none is left on the app that nobody holds.
    let kept = false;
    try {
      kept = await saveSecret(partnerId, appId, secret.secretText, run.stillRunning);
    } finally {
      if (!kept) await graph.removePassword(token, app.id, secret.keyId).catch(() => undefined);
    }
    if (!kept) throw new SetupSuperseded();
    await step({
      id: 'secret',
      title: 'Create the client secret and keep it in TotalOne\u2019s vault',
      status: 'done',
      detail: `${replaces}Secret "${SECRET_NAME}", valid until ${secret.endDateTime.slice(0, 10)}; you never need to copy it.`,
      undo: `Entra admin center > App registrations > ${SETUP_APP_NAME} > Certificates & secrets: delete "${SECRET_NAME}" (ID ${secret.keyId}).`,
    });
    return appId;
  }

  /**
   * Keeps the new secret as the wizard's Entra step does: in the vault, as a pending credential
   * until the vault root arrives. Nothing is written when the run no longer runs (false).
   */
  async function saveSecret(partnerId: string, appId: string, secretText: string, stillRunning: (tx: DbOrTx) => Promise<boolean>): Promise<boolean> {
    const connection = await repo.connection(db, partnerId);
    const now = clock.now();
    const sealedInVault = connection?.partner_center_validated_at ? await deps.credentials.sealEntraSecret(partnerId, secretText) : undefined;
    return db.transaction().execute(async (tx) => {
      if (!(await stillRunning(tx))) return false;
      if (sealedInVault) await deps.credentials.insertSealed(tx, sealedInVault);
      else await deps.credentials.holdEntraSecret(tx, partnerId, secretText);
      await repo.saveConnection(tx, partnerId, {
        entra_app_id: appId,
        entra_secret_hint: secretText.slice(0, 3),
        entra_validated_at: now,
        last_preflight_run_id: null,
        updated_at: now,
      });
      return true;
    });
  }

  return { perform };
}
