import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/database.ts';
import { MINUTE, type Clock } from '../../lib/clock.ts';
import { hmacHex } from '../../lib/crypto.ts';
import type { AppSealer } from '../vault/vault.appkeys.ts';
import { AppError, ConflictError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import type { JobQueue } from '../../jobs/queue.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { TokenSet } from '../microsoft/identity.client.ts';
import type { MicrosoftCredentials } from '../microsoft/microsoft.credentials.ts';
import { MicrosoftIdentityError } from '../microsoft/microsoft.errors.ts';
import type { Attention } from '../partners/partners.attention.ts';
import type { PartnerLifecycle } from '../partners/partners.service.ts';
import type { RequestMeta, SignupService } from '../signup/signup.service.ts';
import { syncCustomersJob } from '../sync/sync.jobs.ts';
import type { ConnectRepo, Connection } from './connect.repo.ts';
import { signedInForLink, type ConnectService } from './connect.service.ts';
import type { Preflight } from './connect.preflight.ts';
import type { GraphClient } from '../microsoft/graph.client.ts';
import type { CheckReplyAddress } from './connect.reply.ts';
import { explainMissingCode } from './connect.signin.fns.ts';
import type { TenantOwnership } from './connect.tenant.ts';

// Steps 4 to 6: sign in to Microsoft as the service account (authorization code + PKCE + state +
// nonce, prompt=login, MFA required), the preflight checks, and the commit that completes Step 3.

const SIGN_IN_LIFETIME = 15 * MINUTE;

export function createConnectSignIn(deps: {
  db: Db;
  repo: ConnectRepo;
  signup: SignupService;
  lifecycle: Pick<PartnerLifecycle, 'markConnected'>;
  attention: Pick<Attention, 'resolve'>;
  connect: ConnectService;
  audit: AuditService;
  credentials: MicrosoftCredentials;
  preflight: Pick<Preflight, 'gather'>;
  graph: Pick<GraphClient, 'groupByDisplayName' | 'servicePrincipal' | 'addGroupMember'>;
  queue: JobQueue;
  clock: Clock;
  logger: Logger;
  /** Seals the sign-in's state, nonce and verifier (the app keyring's `oauth` key). */
  sealer: AppSealer;
  stateHashKey: Buffer;
  redirectUri: string;
  checkReplyAddress: CheckReplyAddress;
  tenants: Pick<TenantOwnership, 'refuseIfHeld' | 'guard'>;
}) {
  const { db, repo, signup, connect, audit, credentials, clock } = deps;
  const hashState = (state: string) => hmacHex(deps.stateHashKey, `state:${state}`);
  const bindSession = (sessionId: string) => hmacHex(deps.stateHashKey, `session:${sessionId}`);

  async function readyConnection(sessionId: string | undefined) {
    const current = await signup.currentSession(sessionId);
    await connect.requireTermsAccepted(current.partnerId, { linkSpent: current.linkSpent });
    const connection = await repo.connection(db, current.partnerId);
    if (!connection?.partner_center_validated_at || !connection.tenant_id || !connection.partner_center_web_app_id || !connection.entra_app_id) {
      throw new ConflictError('STEP_ORDER', 'Enter and check the Entra app and the Partner Center app first; the Microsoft sign-in comes after them.');
    }
    return { current, connection: connection as Connection & { tenant_id: string; partner_center_web_app_id: string; entra_app_id: string } };
  }

  async function recordSignInError(partnerId: string, code: string, message: string) {
    await repo.saveConnection(db, partnerId, { sign_in_error: JSON.stringify({ code, message }), updated_at: clock.now() });
  }

  /** Tokens for the checks, from the credential owner: an app-only Graph token and a fresh Partner Center user token. */
  async function preflightTokens(connection: Connection) {
    const refusal = (error: unknown) => {
      if (error instanceof MicrosoftIdentityError) return { refusal: { ...(error.aadsts !== undefined ? { aadsts: error.aadsts } : {}), message: error.message } };
      throw error;
    };
    // A refused Graph token (e.g. the secret expired since it was entered) is a finding, not a crash.
    const graph = await credentials.graphAppToken(connection.partner_id, { tenantId: connection.tenant_id!, entraAppId: connection.entra_app_id! }).catch(refusal);
    // A refused renewal (password changed: AADSTS50173, 90 days idle: 700082) is a finding too.
    const partnerCenter = await credentials
      .partnerCenterUserToken(connection.partner_id, { tenantId: connection.tenant_id!, partnerCenterWebAppId: connection.partner_center_web_app_id! })
      .catch(refusal);
    return { graph, partnerCenter };
  }

  async function runPreflight(partnerId: string, triggeredBy: string) {
    const connection = await repo.connection(db, partnerId);
    if (!connection?.signed_in_at) throw new ConflictError('STEP_ORDER', 'Sign in to Microsoft with the service account first; the checks run after that.');
    const startedAt = clock.now();
    const correlationId = randomUUID();
    const { graph, partnerCenter } = await preflightTokens(connection);
    const { checks, allRequiredPassed } = await deps.preflight.gather({
      graphAppToken: 'accessToken' in graph ? graph.accessToken : null,
      ...('refusal' in graph ? { graphAppTokenRefusal: graph.refusal } : {}),
      partnerCenterUserToken: 'accessToken' in partnerCenter ? partnerCenter.accessToken : null,
      partnerCenterUserClaims: 'accessClaims' in partnerCenter ? partnerCenter.accessClaims : {},
      ...('refusal' in partnerCenter ? { partnerCenterTokenRefusal: partnerCenter.refusal } : {}),
      serviceAccountObjectId: connection.service_account_object_id!,
      entraAppId: connection.entra_app_id!,
      partnerCenterWebAppId: connection.partner_center_web_app_id!,
      entraSecretHint: connection.entra_secret_hint ?? '',
      partnerCenterSecretHint: connection.partner_center_secret_hint ?? '',
      correlationId,
    });
    await db.transaction().execute(async (tx) => {
      const runId = await repo.insertPreflightRun(tx, { partnerId, triggeredBy, startedAt, finishedAt: clock.now(), checks, allRequiredPassed });
      await repo.saveConnection(tx, partnerId, { last_preflight_run_id: runId, updated_at: clock.now() });
      await audit.record(tx, {
        actorType: triggeredBy === 'partner' ? 'partner' : 'system',
        partnerId,
        action: 'preflight.ran',
        details: { runId, correlationId, allRequiredPassed, failed: checks.filter((c) => c.status === 'failed').map((c) => c.id), warnings: checks.filter((c) => c.status === 'warning').map((c) => c.id) },
      });
    });
    return { checks, allRequiredPassed };
  }

  return {
    runPreflight,

    /** Step 4a: where to send the browser. State, nonce and PKCE verifier wait in the database, sealed. */
    async startSignIn(sessionId: string | undefined) {
      const { current, connection } = await readyConnection(sessionId);
      // Microsoft never comes back to an address the web app does not have: refuse first, with the fix.
      await deps.checkReplyAddress(connection);
      const request = await credentials.beginSignIn(current.partnerId, {
        tenantId: connection.tenant_id,
        partnerCenterWebAppId: connection.partner_center_web_app_id,
        redirectUri: deps.redirectUri,
      });
      const now = clock.now();
      await repo.insertSignIn(db, {
        stateHash: hashState(request.state),
        partnerId: current.partnerId,
        sessionHash: bindSession(sessionId!),
        tenantId: request.tenantId,
        sealedChecks: deps.sealer.seal(JSON.stringify({ nonce: request.nonce, codeVerifier: request.codeVerifier, state: request.state }), `oauth:${current.partnerId}`),
        createdAt: now,
        expiresAt: new Date(now.getTime() + SIGN_IN_LIFETIME),
      });
      return { authorizeUrl: request.url };
    },

    /**
     * Step 4b: Microsoft's redirect back. Whatever happens, the browser goes back to the wizard; the
     * outcome is stored with the connection (never in the URL). The latest sign-in decides: a
     * refusal voids an earlier success, and an older sign-in's answer arriving late changes
     * nothing. The checks are not run here (a slow Microsoft would keep the browser waiting on
     * this redirect): the wizard runs them once it is back, showing their progress.
     */
    async completeSignIn(sessionId: string | undefined, callbackUrl: URL, meta: RequestMeta): Promise<void> {
      const current = await signup.currentSession(sessionId);
      const params = callbackUrl.searchParams;
      const state = params.get('state') ?? '';
      const signIn = state ? await repo.consumeSignIn(db, hashState(state), clock.now()) : undefined;
      if (!signIn || signIn.partner_id !== current.partnerId || signIn.session_hash !== bindSession(sessionId!)) {
        // The same answer handed in twice by this browser (a reload, a double redirect, two tabs):
        // the first one decides, the repeat changes nothing.
        const earlier = state ? await repo.signInByState(db, hashState(state)) : undefined;
        if (earlier?.consumed_at && earlier.partner_id === current.partnerId && earlier.session_hash === bindSession(sessionId!)) return;
        await recordSignInError(current.partnerId, 'SIGN_IN_STATE', 'This sign-in answer does not belong to a sign-in started in this browser, or it is older than 15 minutes. Press "Sign in with Microsoft" again.');
        return;
      }
      const startedAt = new Date(signIn.created_at);
      /** This sign-in did not succeed: it is what the wizard shows, and an earlier sign-in no longer counts. */
      const refuse = async (code: string, message: string, extra: { service_account_upn?: string; mfa_performed?: boolean } = {}) => {
        await repo.decideSignIn(db, current.partnerId, startedAt, { ...extra, sign_in_error: JSON.stringify({ code, message }), signed_in_at: null, last_preflight_run_id: null, updated_at: clock.now() });
      };
      if (params.get('error') || !params.get('code')) {
        // No code: say what most likely happened (reply address, consent, MFA), with the fix.
        const refusal = explainMissingCode(params, deps.redirectUri);
        await refuse(refusal.code, refusal.message);
        return;
      }
      const checks = JSON.parse(deps.sealer.open(signIn.sealed_checks, `oauth:${current.partnerId}`)) as { nonce: string; codeVerifier: string; state: string };
      const connection = await repo.connection(db, current.partnerId);
      if (!connection?.partner_center_web_app_id || !connection.tenant_id) {
        await refuse('STEP_ORDER', 'The Partner Center app is missing; enter it again before signing in.');
        return;
      }
      let tokens: TokenSet;
      try {
        tokens = await credentials.completeSignIn(current.partnerId, { tenantId: signIn.tenant_id, partnerCenterWebAppId: connection.partner_center_web_app_id, callbackUrl, state: checks.state, nonce: checks.nonce, codeVerifier: checks.codeVerifier });
      } catch (error) {
        if (!(error instanceof AppError)) deps.logger.warn({ err: error }, 'Microsoft sign-in could not be completed');
        const message = error instanceof AppError ? error.message : 'Microsoft\u2019s answer could not be verified (state, PKCE, signature, issuer, audience or nonce). Press "Sign in with Microsoft" again.';
        await refuse(error instanceof AppError ? error.code : 'SIGN_IN_INVALID', message);
        return;
      }
      const tenant = String(tokens.idClaims?.tid ?? tokens.accessClaims.tid ?? '');
      if (tenant !== connection.tenant_id) {
        await refuse('WRONG_TENANT', 'You signed in with an account from another tenant. Sign in with the service account of your own tenant (e.g. total.one@yourdomain.onmicrosoft.com); an InPrivate/incognito window keeps other Microsoft accounts out.');
        return;
      }
      const amr = (tokens.accessClaims.amr as string[] | undefined) ?? [];
      const upn = String(tokens.accessClaims.upn ?? tokens.idClaims?.preferred_username ?? '');
      const objectId = String(tokens.accessClaims.oid ?? tokens.idClaims?.oid ?? '');
      if (!amr.includes('mfa')) {
        await refuse(
          'MFA_REQUIRED',
          `${upn || 'The account'} signed in without multi-factor authentication, and Partner Center requires it. Enforce MFA for the service account: in the Entra admin center > Protection > Conditional Access, require multi-factor authentication for it (or turn on per-user MFA in the Microsoft 365 admin center), register an authenticator, then sign in again.`,
          { service_account_upn: upn, mfa_performed: false },
        );
        await audit.record(db, { actorType: 'partner', partnerId: current.partnerId, action: 'connect.sign_in_refused', ip: meta.ip, details: { reason: 'mfa_missing', upn } });
        return;
      }
      if (!tokens.refreshToken) {
        await refuse('NO_REFRESH_TOKEN', 'Microsoft did not grant offline access. Sign in again and accept every permission on the consent page.');
        return;
      }
      // A Graph token for the same account (Microsoft issues one refresh token valid for several APIs).
      let graphRefresh: string | undefined;
      try {
        graphRefresh = await credentials.graphUserRefreshToken(current.partnerId, { tenantId: connection.tenant_id, partnerCenterWebAppId: connection.partner_center_web_app_id }, tokens.refreshToken);
      } catch (error) {
        if (!(error instanceof MicrosoftIdentityError)) throw error;
        deps.logger.info({ aadsts: error.aadsts }, 'no delegated Graph token for the service account; app-only Graph is used');
      }
      const sealed = await credentials.sealSignIn(current.partnerId, { partnerCenterRefreshToken: tokens.refreshToken, graphRefreshToken: graphRefresh });
      const now = clock.now();
      await db.transaction().execute(async (tx) => {
        const decided = await repo.decideSignIn(tx, current.partnerId, startedAt, {
          service_account_object_id: objectId,
          service_account_upn: upn,
          mfa_performed: true,
          signed_in_at: now,
          sign_in_error: null,
          // Checks of an earlier sign-in do not count for this one.
          last_preflight_run_id: null,
          graph_delegated: graphRefresh !== undefined,
          updated_at: now,
        });
        if (!decided) {
          deps.logger.info({ partnerId: current.partnerId }, 'a sign-in started later already decided; this older answer is not kept');
          return;
        }
        await credentials.insertSealed(tx, sealed);
        await audit.record(tx, { actorType: 'partner', partnerId: current.partnerId, action: 'connect.signed_in', ip: meta.ip, details: { upn, amr, tenantId: tenant } });
      });
    },

    /**
     * "Fix it for me" for the Entra memberships the guide asks for (older versions of it): adds
     * the service account or the Entra app to AdminAgents with the app's own Graph permission
     * (Group.ReadWrite.All), then runs the checks again. Audited.
     */
    async fixInMicrosoft(sessionId: string | undefined, fix: 'service_account_in_admin_agents' | 'app_in_admin_agents', meta: RequestMeta) {
      const current = await signup.currentSession(sessionId);
      await connect.requireTermsAccepted(current.partnerId, { linkSpent: current.linkSpent });
      const connection = await repo.connection(db, current.partnerId);
      if (!connection?.signed_in_at || !connection.tenant_id || !connection.entra_app_id || !connection.service_account_object_id) {
        throw new ConflictError('STEP_ORDER', 'Sign in to Microsoft first; the checks and their fixes come after that.');
      }
      const token = await credentials.graphAppToken(current.partnerId, { tenantId: connection.tenant_id, entraAppId: connection.entra_app_id });
      const group = await deps.graph.groupByDisplayName(token.accessToken, 'AdminAgents');
      if (!group) throw new ConflictError('NO_ADMIN_AGENTS_GROUP', 'Your tenant has no AdminAgents group. It exists in every CSP partner tenant: check that this is your Partner Center tenant, or contact support.');
      let objectId = connection.service_account_object_id;
      if (fix === 'app_in_admin_agents') {
        const servicePrincipal = await deps.graph.servicePrincipal(token.accessToken, connection.entra_app_id);
        if (!servicePrincipal) throw new ConflictError('NO_SERVICE_PRINCIPAL', 'The Entra app has no service principal (enterprise application) in your tenant yet. Grant admin consent for the app first, then try again.');
        objectId = servicePrincipal.id;
      }
      const { added } = await deps.graph.addGroupMember(token.accessToken, group.id, objectId);
      await audit.record(db, { actorType: 'partner', partnerId: current.partnerId, action: 'connect.fixed_in_microsoft', ip: meta.ip, details: { fix, groupId: group.id, objectId, added } });
      return runPreflight(current.partnerId, 'partner');
    },

    async rerunPreflight(sessionId: string | undefined) {
      const current = await signup.currentSession(sessionId);
      await connect.requireTermsAccepted(current.partnerId, { linkSpent: current.linkSpent });
      return runPreflight(current.partnerId, 'partner');
    },

    /** Step 6: everything required passed -> spend the link, connected, sync enqueued. */
    async commit(sessionId: string | undefined, meta: RequestMeta) {
      const current = await signup.currentSession(sessionId);
      await connect.requireTermsAccepted(current.partnerId, { linkSpent: current.linkSpent });
      const connection = await repo.connection(db, current.partnerId);
      const run = connection?.last_preflight_run_id ? await repo.preflightRun(db, connection.last_preflight_run_id) : undefined;
      if (!connection?.signed_in_at || !run || !signedInForLink(connection, current.claimedAt)) {
        throw new ConflictError('STEP_ORDER', 'Sign in to Microsoft and run the checks first; the connection is completed after they pass.');
      }
      if (!run.all_required_passed) throw new ConflictError('PREFLIGHT_NOT_PASSED', 'Some required checks have not passed yet. Fix them in Microsoft as described, run the checks again, then complete the connection.');
      // One live partner per tenant: checked again here (the Entra step may be long ago); when two
      // commits for one tenant race, the unique index lets one through and the other is refused alike.
      const tenantId = connection.tenant_id!;
      await deps.tenants.refuseIfHeld(db, current, tenantId, 'commit', meta.ip);
      const now = clock.now();
      await deps.tenants.guard(db, current, tenantId, 'commit', meta.ip, () => db.transaction().execute(async (tx) => {
        const spent = await signup.spendClaimedLink(tx, sessionId!, now);
        if (!spent) throw new ConflictError('LINK_NOT_USABLE', 'Your signup link expired or was replaced before the connection was completed. Request a new link; what you entered so far is kept.');
        await repo.saveConnection(tx, current.partnerId, { committed_at: now, updated_at: now });
        await deps.lifecycle.markConnected(tx, current.partnerId, { actor: { type: 'partner', ip: meta.ip } });
        // A reconnect fixes the finding that asked for it.
        await deps.attention.resolve(tx, current.partnerId, 'reconnected', { type: 'partner', ip: meta.ip });
        await deps.queue.enqueue(syncCustomersJob, { partnerId: current.partnerId, reason: 'first_connect' }, { tx, singletonKey: current.partnerId });
        await audit.record(tx, { actorType: 'partner', partnerId: current.partnerId, action: 'connect.committed', ip: meta.ip, details: { preflightRunId: run.id, tenantId } });
      }));
    },
  };
}

export type ConnectSignIn = ReturnType<typeof createConnectSignIn>;
