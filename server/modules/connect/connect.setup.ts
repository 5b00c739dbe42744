import type { Db } from '../../db/database.ts';
import { MINUTE, type Clock } from '../../lib/clock.ts';
import { hmacHex } from '../../lib/crypto.ts';
import type { AppSealer } from '../vault/vault.appkeys.ts';
import { AppError, ConflictError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { GraphError } from '../microsoft/graph.client.ts';
import type { IdentityClient, TokenSet } from '../microsoft/identity.client.ts';
import type { MicrosoftCredentials } from '../microsoft/microsoft.credentials.ts';
import { MicrosoftIdentityError } from '../microsoft/microsoft.errors.ts';
import type { RequestMeta, SignupService } from '../signup/signup.service.ts';
import type { ConnectRepo } from './connect.repo.ts';
import type { ConnectService } from './connect.service.ts';
import { createSetupActions, SetupRefusal, SetupSuperseded, type SetupGraph, type SetupOptions, type SetupRunContext } from './connect.setup.actions.ts';
import { STALE_RUN_MS, toSetupRun, type SetupAction, type SetupRun } from './connect.setup.fns.ts';
import type { SetupRunsRepo } from './connect.setup.repo.ts';

// "Set up Microsoft for me": an administrator of the partner's tenant signs in once to TotalOne's
// multi-tenant setup application and consents to the delegated Graph permissions below. Microsoft's
// redirect back starts the run and answers at once; the run goes on in this process with that token
// (held in memory for the run only, never stored) and writes each action with its result as it is
// done (connect.setup.actions.ts), so the wizard shows the progress live (GET and events), also
// after a reload. The finished record goes to the audit trail. A run cut off by a stop or a crash
// shows as interrupted once it has been silent for STALE_RUN_MS; running it again repeats nothing.

export { SETUP_APP_NAME, SETUP_APP_NOTE, type SetupOptions } from './connect.setup.actions.ts';
export type { SetupAction, SetupRun } from './connect.setup.fns.ts';

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

interface Pending extends SetupOptions {
  partnerId: string;
  session: string;
  tenantId: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  expiresAt: number;
}

/** Plain words for what ended a run early. */
function refusalFor(cause: unknown): { message: string; fix: string } {
  if (cause instanceof SetupRefusal) return { message: cause.answer, fix: cause.fix };
  if (cause instanceof GraphError && cause.graphStatus === 403) {
    return { message: `Microsoft refused a step (${cause.graphCode}): the account lacks an administrator role for it.`, fix: 'Sign in with a Global Administrator and run the setup again; what was already done stays and is not repeated.' };
  }
  return { message: cause instanceof AppError ? cause.message : 'The setup stopped on an unexpected answer from Microsoft.', fix: 'Run the setup again: what was already done is not repeated.' };
}

export function createConnectSetup(deps: {
  db: Db;
  repo: ConnectRepo;
  runs: SetupRunsRepo;
  signup: SignupService;
  connect: ConnectService;
  audit: AuditService;
  identity: Pick<IdentityClient, 'resolveTenantId' | 'beginSignIn' | 'completeSignIn'>;
  graph: SetupGraph;
  credentials: Pick<MicrosoftCredentials, 'sealEntraSecret' | 'insertSealed' | 'holdEntraSecret' | 'pendingEntraSecret'>;
  clock: Clock;
  logger: Logger;
  /** Seals the setup's sign-in state into its cookie (the app keyring's `setup` key). */
  sealer: AppSealer;
  /** Binds that cookie to the browser's signup session (the app keyring's `setup-session` lookup key). */
  sessionKey: Buffer;
  /** TotalOne's setup application; absent: the setup is not offered. */
  setupApp: { clientId: string; clientSecret: string } | undefined;
  /** Where Microsoft sends the administrator back (…/api/connect/setup/callback). */
  redirectUri: string;
  /** The product's reply address for the service account's sign-in (…/api/connect/microsoft/callback). */
  replyAddress: string;
}) {
  const { db, repo, runs, signup, connect, audit, identity, clock, logger } = deps;
  const { perform } = createSetupActions({ db, repo, graph: deps.graph, credentials: deps.credentials, clock, replyAddress: deps.replyAddress });
  const bind = (sessionId: string) => hmacHex(deps.sessionKey, `setup-session:${sessionId}`);
  const scope = ['openid', 'profile', ...SETUP_PERMISSIONS.map((p) => `https://graph.microsoft.com/${p.name}`)].join(' ');

  async function session(sessionId: string | undefined) {
    const current = await signup.currentSession(sessionId);
    await connect.requireTermsAccepted(current.partnerId, { linkSpent: current.linkSpent });
    return current;
  }

  async function lastRun(partnerId: string): Promise<SetupRun | undefined> {
    const row = await runs.latest(db, partnerId);
    return row ? toSetupRun(row, clock.now()) : undefined;
  }

  function auditRun(tx: Parameters<AuditService['record']>[0], partnerId: string, run: SetupRun, meta: RequestMeta) {
    return audit.record(tx, { actorType: 'partner', partnerId, action: 'connect.microsoft_setup', ip: meta.ip, details: run as unknown as Record<string, unknown> });
  }

  /**
   * The sign-in was refused before any action: a finished run of its own, unless a run is under way
   * (a second answer, such as the callback loaded again, leaves that run alone).
   */
  async function refuseSignIn(partnerId: string, refusal: { message: string; fix: string }, meta: RequestMeta) {
    if ((await lastRun(partnerId))?.status === 'running') return;
    const now = clock.now();
    await db.transaction().execute(async (tx) => {
      await runs.insertRefused(tx, partnerId, now, refusal);
      await auditRun(tx, partnerId, { at: now.toISOString(), status: 'refused', finishedAt: now.toISOString(), refusal, actions: [] }, meta);
    });
  }

  /** The run proper, after the redirect has been answered: each action is written as it is done. */
  async function execute(runId: string, startedAt: Date, run: Omit<SetupRunContext, 'step' | 'stillRunning'>, meta: RequestMeta): Promise<void> {
    const actions: SetupAction[] = [];
    const context: SetupRunContext = {
      ...run,
      async step(action) {
        actions.push(action);
        if (!(await runs.saveActions(db, runId, actions, clock.now()))) throw new SetupSuperseded();
      },
      stillRunning: (tx) => runs.saveActions(tx, runId, actions, clock.now()),
    };
    let end: { status: 'completed'; appId: string } | { status: 'refused'; refusal: { message: string; fix: string } };
    try {
      end = { status: 'completed', appId: await perform(context) };
    } catch (cause) {
      if (cause instanceof SetupSuperseded) {
        logger.info({ partnerId: run.partnerId }, 'a setup run came back after it was given up; the newer run stands');
        return;
      }
      if (!(cause instanceof SetupRefusal) && !(cause instanceof GraphError && cause.graphStatus === 403)) logger.warn({ err: cause }, 'setup failed');
      end = { status: 'refused', refusal: refusalFor(cause) };
    }
    const now = clock.now();
    const record: SetupRun = { at: startedAt.toISOString(), status: end.status, finishedAt: now.toISOString(), actions, ...(end.status === 'completed' ? { appId: end.appId } : { refusal: end.refusal }) };
    await db.transaction().execute(async (tx) => {
      const finished = await runs.finish(tx, runId, { ...end, actions, now });
      if (finished) await auditRun(tx, run.partnerId, record, meta);
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

    /** Whether the view will change no more (no run under way): the event stream ends. */
    settled: (view: { lastRun: SetupRun | null }) => view.lastRun?.status !== 'running',

    /** Where to send the administrator's browser; the checks (state, nonce, PKCE) travel sealed in a cookie. */
    async start(sessionId: string | undefined, options: SetupOptions): Promise<{ authorizeUrl: string; pending: string }> {
      const current = await session(sessionId);
      if (!deps.setupApp) throw new ConflictError('SETUP_UNAVAILABLE', 'The automatic setup is not configured on this server; follow the manual steps of the guide.');
      if ((await lastRun(current.partnerId))?.status === 'running') {
        throw new ConflictError('SETUP_RUNNING', 'The setup is still running: its actions appear on this page as they are done. Run it again once it has finished.');
      }
      const tenantId = await identity.resolveTenantId(current.entraDomain);
      const request = await identity.beginSignIn({ tenant: tenantId, clientId: deps.setupApp.clientId, clientSecret: deps.setupApp.clientSecret, redirectUri: deps.redirectUri, scope, requireMfa: true });
      const pending: Pending = {
        ...options, partnerId: current.partnerId, session: bind(sessionId!), tenantId, state: request.state, nonce: request.nonce, codeVerifier: request.codeVerifier,
        expiresAt: clock.now().getTime() + SETUP_LIFETIME,
      };
      return { authorizeUrl: request.url, pending: deps.sealer.seal(JSON.stringify(pending), 'setup-pending') };
    },

    /**
     * Microsoft's redirect back: complete the sign-in and start the run, which goes on after this
     * answer (the browser goes back to the wizard at once and follows the run there).
     */
    async complete(sessionId: string | undefined, callbackUrl: URL, sealedPending: string | undefined, meta: RequestMeta): Promise<void> {
      const current = await signup.currentSession(sessionId);
      const refuse = (message: string, fix: string) => refuseSignIn(current.partnerId, { message, fix }, meta);
      let pending: Pending | undefined;
      try {
        pending = sealedPending ? (JSON.parse(deps.sealer.open(sealedPending, 'setup-pending')) as Pending) : undefined;
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
      // Fixed tenant for the rest of the wizard, as the manual Entra step sets it.
      await repo.saveConnection(db, current.partnerId, { tenant_input: current.entraDomain, tenant_id: tid, updated_at: clock.now() });
      const startedAt = clock.now();
      const runId = await db.transaction().execute(async (tx) => {
        const started = await runs.start(tx, current.partnerId, startedAt, new Date(startedAt.getTime() - STALE_RUN_MS));
        // What a run cut off had changed goes to the audit trail too, when it is given up.
        for (const cut of started.givenUp) await auditRun(tx, current.partnerId, toSetupRun(cut, startedAt), meta);
        return started.runId;
      });
      if (!runId) return; // a run is under way: this answer changes nothing
      const run = { token: tokens.accessToken, partnerId: current.partnerId, adminObjectId: String(tokens.accessClaims.oid ?? ''), options: pending };
      // Not awaited: the browser goes back to the wizard now. A stop of this server does not wait
      // for the run either (it may be waiting on Microsoft); a run cut off reads as interrupted.
      void execute(runId, startedAt, run, meta).catch((error: unknown) => logger.error({ err: error, partnerId: current.partnerId }, 'setup run could not record its end'));
    },
  };
}

export type ConnectSetup = ReturnType<typeof createConnectSetup>;
