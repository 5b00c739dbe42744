import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import type { Config } from '../config/config.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { migrateToLatest, openDatabase, probeDatabase, withStartupLock, type DatabaseHandle } from '../db/database.ts';
import { createJobQueue, type JobQueue } from '../jobs/queue.ts';
import { jobRegistry } from '../jobs/registry.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import { createLogger, type Logger } from '../lib/logger.ts';
import { reservePort } from '../lib/net.ts';
import { createAuditService } from '../modules/audit/audit.service.ts';
import type { MailCatcher } from '../modules/mail/mail.catcher.ts';
import { createMailRepo } from '../modules/mail/mail.repo.ts';
import { registerDevMailRoutes } from '../modules/mail/mail.routes.ts';
import { createMailService } from '../modules/mail/mail.service.ts';
import { createSmtpTransport, type MailTransport } from '../modules/mail/mail.transport.ts';
import { createConnectRepo } from '../modules/connect/connect.repo.ts';
import { registerConnectRoutes } from '../modules/connect/connect.routes.ts';
import { createConnectService } from '../modules/connect/connect.service.ts';
import { loadLegalTexts } from '../modules/connect/connect.terms.ts';
import { graphAppDirectory } from '../modules/connect/connect.directory.ts';
import { createPreflight } from '../modules/connect/connect.preflight.ts';
import { createConnectSignIn } from '../modules/connect/connect.signin.ts';
import { createReplyAddressCheck } from '../modules/connect/connect.reply.ts';
import { replyAddressOf } from '../modules/connect/connect.reply.fns.ts';
import { createConnectWizard } from '../modules/connect/connect.wizard.ts';
import { registerConnectWizardRoutes } from '../modules/connect/connect.wizard.routes.ts';
import { createConnectSetup } from '../modules/connect/connect.setup.ts';
import { createSetupRunsRepo } from '../modules/connect/connect.setup.repo.ts';
import { registerConnectSetupRoutes } from '../modules/connect/connect.setup.routes.ts';
import { createGraphClient } from '../modules/microsoft/graph.client.ts';
import { createIdentityClient } from '../modules/microsoft/identity.client.ts';
import { createMicrosoftCredentials } from '../modules/microsoft/microsoft.credentials.ts';
import { createMicrosoftHttp } from '../modules/microsoft/microsoft.http.ts';
import { createPartnerCenterClient } from '../modules/microsoft/partner-center.client.ts';
import { createPartnerLock } from '../modules/sync/sync.lock.ts';
import { createSyncPartners } from '../modules/sync/sync.partners.ts';
import { createGdapReader } from '../modules/sync/sync.gdap.ts';
import { createSyncRepo } from '../modules/sync/sync.repo.ts';
import { registerSyncRoutes, statusCookie } from '../modules/sync/sync.routes.ts';
import { createCredentialRotation } from '../modules/partners/partners.rotation.ts';
import { syncCustomersJob } from '../modules/sync/sync.jobs.ts';
import { registerCredentialUpdateRoutes } from '../modules/partners/partners.rotation.routes.ts';
import { createSecretChecks } from '../modules/connect/connect.secrets.ts';
import { registerPartnersRoutes } from '../modules/partners/partners.routes.ts';
import { createSyncService, type SyncOptions } from '../modules/sync/sync.service.ts';
import { createSyncStatus } from '../modules/sync/sync.status.ts';
import { createOperatorAuth } from '../modules/operators/operators.auth.ts';
import { createConsole } from '../modules/operators/operators.console.ts';
import { createConsoleReadModel } from '../modules/operators/operators.readmodel.ts';
import { createOperatorsRepo } from '../modules/operators/operators.repo.ts';
import { registerOperatorRoutes } from '../modules/operators/operators.routes.ts';
import { createKeyProvider } from '../modules/vault/vault.config.ts';
import { createVault, type Vault } from '../modules/vault/vault.service.ts';
import { createTotpSecretStore } from '../modules/operators/operators.keys.ts';
import { createRateLimitService } from '../modules/ratelimit/ratelimit.service.ts';
import { createPartnersRepo } from '../modules/partners/partners.repo.ts';
import { createPartnerLifecycle } from '../modules/partners/partners.service.ts';
import { createAttention } from '../modules/partners/partners.attention.ts';
import { createSecretExpiry } from '../modules/partners/partners.secrets.ts';
import { createDriftCheck } from '../modules/partners/partners.drift.ts';
import { createOffboarding } from '../modules/partners/partners.offboarding.ts';
import { createTenantOwnership } from '../modules/connect/connect.tenant.ts';
import type { CheckResult } from '../modules/partners/partners.fns.ts';
import { signStatusKey } from '../modules/sync/sync.fns.ts';
import { createSignupRepo } from '../modules/signup/signup.repo.ts';
import { registerSignupRoutes } from '../modules/signup/signup.routes.ts';
import { createSignupService, type SignupLimits } from '../modules/signup/signup.service.ts';
import { createHttpApp, serveWebApp, type App } from './http.ts';
import type { Emulator } from '../../emulator/index.ts';

// Wiring: builds every part the configuration asks for, in dependency order, and stops them in
// reverse. Tests start the same system with their own configuration; nothing here knows tests.

export interface SystemOverrides {
  clock?: Clock;
  logger?: Logger;
  /** An already opened PGlite (tests load a migrated template into memory). */
  pglite?: PGlite;
  /** PostgreSQL: a pool its owner keeps open (tests keep one per test database). */
  pgPool?: pg.Pool;
  mailTransport?: MailTransport;
  limits?: SignupLimits;
  webDist?: string;
}

export interface System {
  config: Readonly<Config>;
  logger: Logger;
  publicUrl: string;
  url: string | undefined;
  database: DatabaseHandle;
  queue: JobQueue;
  app: App | undefined;
  catcher: MailCatcher | undefined;
  /** The built-in Microsoft emulator (demo mode only). */
  emulator: Emulator | undefined;
  /** The Microsoft endpoints this system talks to (the emulator's in the demo). */
  microsoft: Config['microsoft'];
  services: ReturnType<typeof buildServices>;
  close(): Promise<void>;
}

function buildServices(deps: {
  database: DatabaseHandle;
  queue: JobQueue;
  transport: MailTransport;
  clock: Clock;
  logger: Logger;
  /** Its ring checked and its app keyring loaded (startSystem does both before building services). */
  vault: Vault;
  publicUrl: string;
  config: Readonly<Config>;
  microsoft: Config['microsoft'];
  limits?: SignupLimits;
  metrics?: Metrics;
}) {
  const { database, queue, clock, logger, config, vault } = deps;
  const db = database.db;
  // Every application key comes from the vault's app keyring (server/modules/vault/README.md).
  const keyring = vault.appKeys;
  const audit = createAuditService({ db, clock });
  const rateLimits = createRateLimitService({ db, clock, keyHashKey: keyring.lookupKey('rate-limit-keys') });
  const mail = createMailService({
    db,
    repo: createMailRepo(),
    queue,
    transport: deps.transport,
    clock,
    logger,
    sealer: keyring.sealer('outbox'),
    from: config.mail.from,
    context: { publicUrl: deps.publicUrl, supportEmail: config.mail.supportEmail },
  });
  const partnersRepo = createPartnersRepo();
  const lifecycle = createPartnerLifecycle({ repo: partnersRepo, audit, clock });
  const signup = createSignupService({
    lifecycle,
    db,
    repo: createSignupRepo(),
    mail,
    audit,
    rateLimits,
    queue,
    clock,
    logger,
    tokenHashKey: keyring.lookupKey('link-token-hash'),
    sessionHashKey: keyring.lookupKey('session-hash'),
    links: config.links,
    ...(deps.limits ? { limits: deps.limits } : {}),
  });
  const connectRepo = createConnectRepo();
  const replyAddress = replyAddressOf(deps.publicUrl);
  const connect = createConnectService({ db, repo: connectRepo, signup, audit, clock, legal: loadLegalTexts(), replyAddress });

  const http = createMicrosoftHttp({ timeoutMs: 15_000, logger });
  const identity = createIdentityClient({ authorityHost: deps.microsoft.authorityHost, now: () => clock.now() });
  const graph = createGraphClient({ graphUrl: deps.microsoft.graphUrl, http });
  const partnerCenter = createPartnerCenterClient({ baseUrl: deps.microsoft.partnerCenterUrl, http });
  const credentials = createMicrosoftCredentials({ identity, vault, clock });
  const tenants = createTenantOwnership({ repo: connectRepo, audit, clock });
  const wizard = createConnectWizard({ db, repo: connectRepo, signup, connect, audit, identity, credentials, directory: graphAppDirectory(graph), rateLimits, tenants, clock, logger });
  const statusKeyKey = keyring.lookupKey('status-link');
  const statusLink = (partnerId: string) => {
    const expiresAt = new Date(clock.now().getTime() + 30 * 86_400_000);
    return { statusKey: signStatusKey(statusKeyKey, partnerId, expiresAt), expiresAt };
  };
  const attention = createAttention({ db, repo: partnersRepo, lifecycle, mail, audit, clock, statusLink });
  const secretExpiry = createSecretExpiry({ db, repo: partnersRepo, credentials, graph, attention, mail, audit, clock, logger, statusLink });
  const signIn = createConnectSignIn({
    db,
    repo: connectRepo,
    signup,
    lifecycle,
    attention,
    connect,
    audit,
    credentials,
    preflight: createPreflight({ graph, partnerCenter, now: () => clock.now(), logger }),
    graph,
    queue,
    clock,
    logger,
    sealer: keyring.sealer('oauth'),
    stateHashKey: keyring.lookupKey('oauth-state'),
    redirectUri: replyAddress,
    checkReplyAddress: createReplyAddressCheck({ credentials, graph, replyAddress, logger }),
    tenants,
  });
  const setup = createConnectSetup({
    db, repo: connectRepo, runs: createSetupRunsRepo(), signup, connect, audit, identity, graph, credentials, clock, logger,
    sealer: keyring.sealer('setup'),
    sessionKey: keyring.lookupKey('setup-session'),
    setupApp: deps.microsoft.setupApp,
    redirectUri: `${deps.publicUrl}/api/connect/setup/callback`,
    replyAddress,
  });
  const drift = createDriftCheck({
    db, repo: partnersRepo, attention, lifecycle, queue, audit, logger,
    runPreflight: signIn.runPreflight,
    latestChecks: async (partnerId) => {
      const connection = await connectRepo.connection(db, partnerId);
      const run = connection?.last_preflight_run_id ? await connectRepo.preflightRun(db, connection.last_preflight_run_id) : undefined;
      return run ? (run.checks as unknown as CheckResult[]) : undefined;
    },
  });
  const offboarding = createOffboarding({
    db, repo: partnersRepo, lifecycle, attention, vault, revokeAllLinks: signup.revokeAllLinks, releaseTenant: tenants.release, mail, queue, audit, clock, logger,
    retentionDays: config.offboardingRetentionDays,
    rateLimits,
    tokenHashKey: keyring.lookupKey('offboarding-token-hash'),
  });
  const syncConfig = config.sync;
  const syncRepo = createSyncRepo();
  const syncPartners = createSyncPartners();
  const sync = createSyncService({
    db, repo: syncRepo, partners: syncPartners, lock: createPartnerLock(database, { logger }), lifecycle, attention, recheck: { secret_expiry: secretExpiry.recheck, drift: drift.recheck }, mail, audit, credentials, queue,
    partnerCenterUrl: deps.microsoft.partnerCenterUrl, clock, logger, statusKeyKey,
    gdap: createGdapReader({ db, partners: syncPartners, credentials, graph, clock, logger }),
    options: { requestsPerMinute: syncConfig.requestsPerMinute, pageSize: syncConfig.pageSize },
  });
  const rotation = createCredentialRotation({
    db, repo: partnersRepo, links: signup, checks: createSecretChecks({ db, repo: connectRepo, credentials, directory: graphAppDirectory(graph), rateLimits, clock }),
    credentials, secretExpiry, attention, lifecycle, mail, audit, queue, rateLimits, statusLink, clock, logger,
    resumeImport: async (tx, partnerId) => {
      await queue.enqueue(syncCustomersJob, { partnerId, reason: 'retry' }, { tx, singletonKey: partnerId });
    },
  });
  const syncStatus = createSyncStatus({ db, repo: syncRepo, partners: syncPartners, signup, attention, lastCheck: drift.latest, clock, statusKeyKey });
  const syncWorkers = syncConfig.workers;
  const operatorsRepo = createOperatorsRepo();
  const operatorAuth = createOperatorAuth({
    db, repo: operatorsRepo, mail, audit, rateLimits, clock, logger,
    sessionHashKey: keyring.lookupKey('operator-session-hash'),
    inviteHashKey: keyring.lookupKey('operator-invite-hash'),
    lockoutHashKey: keyring.lookupKey('operator-sign-in-lockout'),
    totpSealer: keyring.sealer('operator-totp'),
  });
  /** Long-lived values other modules keep sealed under the app keyring: `vault.rotate` re-seals them. */
  const sealedStores = [createTotpSecretStore({ db, repo: operatorsRepo, keyring })];
  const operatorConsole = createConsole({ db, read: createConsoleReadModel(), repo: operatorsRepo, signup, lifecycle, attention, secretExpiry, offboarding, sync, signIn, vault, mail, queue, audit, clock, logger });
  return { sealedStores, audit, rateLimits, mail, lifecycle, attention, secretExpiry, drift, offboarding, rotation, statusLink, signup, connect, vault, identity, credentials, graph, partnerCenter, wizard, signIn, setup, sync, syncStatus, syncWorkers, operatorAuth, operatorConsole };
}

export async function startSystem(config: Readonly<Config>, overrides: SystemOverrides = {}): Promise<System> {
  const logger = overrides.logger ?? createLogger({ level: config.log.level });
  const clock = overrides.clock ?? systemClock;
  const stack: Array<() => Promise<void> | void> = [];
  const close = async () => {
    for (const stop of stack.reverse()) {
      try {
        await stop();
      } catch (error) {
        logger.warn({ err: error }, 'error while stopping');
      }
    }
  };

  try {
    const appSecret = config.appSecret ?? demoSecret(config.database.dataDir);
    // Port 0: a free port, held from now on (the public URL is built from it) until the server listens.
    const reservation = config.http.port === 0 && config.roles.includes('web') ? await reservePort(config.http.host) : undefined;
    if (reservation) stack.push(() => reservation.release());
    const port = reservation?.port ?? config.http.port;
    const publicUrl = config.http.publicUrl ?? `http://${config.http.host === '0.0.0.0' ? 'localhost' : config.http.host}:${port}`;

    const database = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir, poolSize: config.database.poolSize, ...(overrides.pglite ? { pglite: overrides.pglite } : {}), ...(overrides.pgPool ? { pool: overrides.pgPool } : {}), logger });
    stack.push(() => database.close());
    const queue = createJobQueue(database, logger, { maintenanceIntervalSeconds: config.jobs.maintenanceIntervalSeconds });
    stack.push(() => queue.stop({ graceful: true, timeoutMs: 5000 }));
    // Several instances may start at once: one at a time migrates and creates the job queues.
    await withStartupLock(
      database,
      async () => {
        await migrateToLatest(database.db);
        await queue.start(jobRegistry);
      },
      logger,
    );

    let catcher: MailCatcher | undefined;
    let transport = overrides.mailTransport;
    if (!transport) {
      let smtpUrl = config.mail.smtpUrl;
      if (!smtpUrl) {
        // Loaded only here: a server with a real SMTP server never loads the demo's catcher.
        const { startMailCatcher } = await import('../modules/mail/mail.catcher.ts');
        catcher = await startMailCatcher({ port: config.mail.catcherSmtpPort, host: '127.0.0.1' });
        stack.push(() => catcher!.close());
        smtpUrl = catcher.smtpUrl;
      }
      transport = createSmtpTransport(smtpUrl);
      const created = transport;
      stack.push(() => created.close());
    }

    // The demo's Microsoft: the same client code talks to it, only the base URLs differ.
    let emulator: Emulator | undefined;
    let microsoft = config.microsoft;
    if (config.emulator.start) {
      // Loaded only in the demo: production never has the emulator in its process.
      const { startEmulator } = await import('../../emulator/index.ts');
      emulator = await startEmulator({
        port: config.emulator.port,
        host: '127.0.0.1',
        scenario: config.emulator.scenario,
        // The scenario decides whether the partner registered it (ready: yes, reply-address-missing: no).
        replyAddress: `${publicUrl}/api/connect/microsoft/callback`,
      });
      const started = emulator;
      stack.push(() => started.close());
      microsoft = {
        authorityHost: emulator.endpoints.authorityHost, graphUrl: emulator.endpoints.graph, partnerCenterUrl: emulator.endpoints.partnerCenter,
        // The emulator publishes TotalOne's setup application; its reply addresses include this server's.
        ...(emulator.setupApp ? { setupApp: { clientId: emulator.setupApp.appId, clientSecret: emulator.setupApp.secret } } : {}),
      };
    }

    const metrics = createMetrics({ db: database.db, logger });
    const vault = createVault({ db: database.db, keys: createKeyProvider(config.vault, { authorityHost: microsoft.authorityHost, logger }), clock, logger, observe: metrics.observeVault, appSecret });
    // The vault key in hand must be the key ring the database's credentials are sealed under:
    // otherwise the start is refused (a new ring is made only while nothing is sealed). Then the
    // app keyring, wrapped by that ring, is loaded (created on a database's first start).
    await vault.ensureKeyRing();
    await vault.ensureAppKeys();
    stack.push(vault.appKeys.startRefreshing());
    const services = buildServices({ database, queue, transport, clock, logger, vault, publicUrl, config, microsoft, metrics, ...(overrides.limits ? { limits: overrides.limits } : {}) });
    // Values sealed before the app keyring move under it: operators' authenticator secrets (so a
    // new APP_SECRET never costs an authenticator), and pending Entra secrets into the vault.
    for (const store of services.sealedStores) {
      const { byVersion } = await store.resealToActive();
      const behind = Object.entries(byVersion).filter(([version]) => Number(version) !== vault.appKeys.activeVersion());
      if (behind.length > 0) logger.warn({ store: store.label, byVersion }, 'some sealed values could not be moved onto the active app key version');
    }
    await services.wizard.moveLegacyPendingSecrets();

    if (config.roles.includes('worker')) {
      // Every job of every module: its workers, its schedule (server/jobs/registry.ts).
      await queue.startWorkers(jobRegistry, services);
      // A worker starting after a crash picks up what the dead one left at once.
      await services.sync.recoverAbandoned().catch((error) => logger.warn({ err: error }, 'customer import recovery failed; the schedule retries it'));
    }

    let app: App | undefined;
    let url: string | undefined;
    if (config.roles.includes('web')) {
      app = await createHttpApp({
        logger,
        publicUrl,
        trustProxy: config.http.trustProxy,
        webDist: overrides.webDist ?? 'web/dist',
        metrics: { metrics, token: config.metrics.token, loopbackWithoutToken: config.mode === 'demo' },
        ready: async () => {
          const probe = await probeDatabase(database);
          if (!probe.ok) logger.warn({ reason: probe.reason }, 'not ready: the database cannot be reached');
          return probe.ok ? { ok: true, checks: { database: 'ok' } } : { ok: false, checks: { database: 'unreachable' } };
        },
      });
      registerSignupRoutes(app, { signup: services.signup, publicUrl });
      registerConnectRoutes(app, { connect: services.connect, publicUrl });
      registerConnectWizardRoutes(app, { connect: services.connect, wizard: services.wizard, signIn: services.signIn, publicUrl });
      registerConnectSetupRoutes(app, { setup: services.setup, publicUrl });
      registerSyncRoutes(app, { status: services.syncStatus, signup: services.signup, sync: services.sync, rateLimits: services.rateLimits, offboarding: services.offboarding, rotation: services.rotation, publicUrl });
      registerPartnersRoutes(app, { offboarding: services.offboarding });
      const statusAccess = statusCookie(publicUrl);
      registerCredentialUpdateRoutes(app, {
        rotation: services.rotation,
        publicUrl,
        grantStatusAccess: (reply, partnerId) => {
          const link = services.statusLink(partnerId);
          statusAccess.write(reply, link.statusKey, link.expiresAt);
        },
      });
      registerOperatorRoutes(app, { auth: services.operatorAuth, console: services.operatorConsole, publicUrl, clock, customers: services.syncStatus });
      if (catcher) {
        const { createDemoInbox } = await import('../modules/mail/mail.inbox.ts');
        registerDevMailRoutes(app, createDemoInbox({ db: database.db, repo: createMailRepo(), catcher, from: config.mail.from, context: { publicUrl, supportEmail: config.mail.supportEmail } }));
      }
      await serveWebApp(app, overrides.webDist ?? 'web/dist');
      await app.ready();
      // Let go of the held port only now: between the two lines nothing else can take it.
      void reservation?.release();
      await app.listen({ host: config.http.host, port });
      const started = app;
      stack.push(() => started.close());
      url = `http://${config.http.host}:${port}`;
    }

    return { config, logger, publicUrl, url, database, queue, app, catcher, emulator, microsoft, services, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The demo keeps a random application secret in its data folder (mode 0600). */
function demoSecret(dataDir: string): Buffer {
  const dir = resolve(dataDir);
  const path = join(dir, 'app-secret');
  if (existsSync(path)) return Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32)));
  writeFileSync(path, secret.toString('base64'), { mode: 0o600 });
  chmodSync(path, 0o600);
  return secret;
}
