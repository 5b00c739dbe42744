import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/config.ts';
import { migrateToLatest, openDatabase } from '../../db/database.ts';
import { createJobQueue } from '../../jobs/queue.ts';
import { systemClock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { runCli, type CliIo } from '../../lib/cli.ts';
import { createLogger } from '../../lib/logger.ts';
import { createAuditService } from '../audit/audit.service.ts';
import { sendEmailJob } from '../mail/mail.jobs.ts';
import { createMailRepo } from '../mail/mail.repo.ts';
import { createMailService } from '../mail/mail.service.ts';
import { createRateLimitService } from '../ratelimit/ratelimit.service.ts';
import { createKeyProvider } from '../vault/vault.config.ts';
import { createVault } from '../vault/vault.service.ts';
import { createOperatorAuth } from './operators.auth.ts';
import { toOperatorView } from './operators.presenters.ts';
import { createOperatorsRepo } from './operators.repo.ts';
import { emailAddress } from '../../../contracts/common.ts';
import { operatorRoleSchema, type OperatorRole } from '../../../contracts/operators.ts';

// The operator command line (entry point: operators.cli.ts).
// npm run operator -- create --email jana@totalone.example --role admin|support
// npm run operator -- invite --email jana@totalone.example      (new invitation, the old link dies)
// npm run operator -- disable --email jana@totalone.example [--reason "left the team"]
// npm run operator -- list
// Opens only what it needs: configuration, database, job queue (the invitation email goes through
// the outbox and is sent by a running worker). With the embedded PGlite the app holds the data
// folder: stop it first; the email goes out when it starts again. On PostgreSQL it runs beside it.

const usage = `Usage:
  npm run operator -- create --email <address> --role admin|support
  npm run operator -- invite --email <address>
  npm run operator -- disable --email <address> [--reason <text>]
  npm run operator -- list`;

/** Runs one operator command; answers the process exit code (0 done, 1 refused, 2 bad arguments). */
export function runOperatorCli(argv: string[], io: CliIo): Promise<number> {
  return runCli(io, () => run(argv, io));
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { email: { type: 'string' }, role: { type: 'string' }, reason: { type: 'string' }, help: { type: 'boolean' } },
  });
  const command = positionals[0];
  if (values.help || !command) {
    io.out(usage);
    return values.help ? 0 : 2;
  }
  const parsed = parseCommand(command, values);
  if (!parsed.ok) {
    io.err(`${parsed.problem}\n${usage}`);
    return 2;
  }

  const config = loadConfig(io.env);
  const logger = createLogger({ level: config.log.level === 'info' || config.log.level === 'debug' ? 'warn' : config.log.level, name: 'operator-cli' });
  const appSecret = config.appSecret ?? demoSecret(config.database.dataDir);
  const publicUrl = config.http.publicUrl ?? `http://${config.http.host === '0.0.0.0' ? 'localhost' : config.http.host}:${config.http.port}`;
  const database = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir, poolSize: 2, logger });
  const queue = createJobQueue(database, logger);
  try {
    await migrateToLatest(database.db);
    await queue.start([sendEmailJob]);
    const db = database.db;
    // The app's keys come from the vault's app keyring, as in the app (same checks as at its start).
    const vault = createVault({ db, keys: createKeyProvider(config.vault, { authorityHost: config.microsoft.authorityHost, logger }), clock: systemClock, logger, appSecret });
    await vault.ensureKeyRing();
    await vault.ensureAppKeys();
    const keyring = vault.appKeys;
    const mail = createMailService({
      db,
      repo: createMailRepo(),
      queue,
      // The CLI only writes to the outbox; a worker sends.
      transport: { send: async () => Promise.reject(new Error('the operator CLI does not send email')), close: () => {} },
      clock: systemClock,
      logger,
      sealer: keyring.sealer('outbox'),
      from: config.mail.from,
      context: { publicUrl, supportEmail: config.mail.supportEmail },
    });
    const auth = createOperatorAuth({
      db,
      repo: createOperatorsRepo(),
      mail,
      audit: createAuditService({ db, clock: systemClock }),
      rateLimits: createRateLimitService({ db, clock: systemClock, keyHashKey: keyring.lookupKey('rate-limit-keys') }),
      clock: systemClock,
      logger,
      sessionHashKey: keyring.lookupKey('operator-session-hash'),
      inviteHashKey: keyring.lookupKey('operator-invite-hash'),
      lockoutHashKey: keyring.lookupKey('operator-sign-in-lockout'),
      totpSealer: keyring.sealer('operator-totp'),
    });
    const actor = { type: 'system' as const, label: `cli:${io.env.USER ?? 'unknown'}` };
    const input = parsed.value;

    switch (input.command) {
      case 'list': {
        const now = systemClock.now();
        const rows = (await auth.list()).map((o) => toOperatorView(o, now));
        if (rows.length === 0) io.out('No operators yet. Create one with: npm run operator -- create --email <address> --role admin');
        for (const o of rows) io.out(`${o.email}\t${o.role}\t${o.status}${o.lockedUntil ? `\tlocked until ${o.lockedUntil}` : ''}\tlast sign-in ${o.lastSignInAt ?? '-'}`);
        return 0;
      }
      case 'create': {
        const created = await auth.createOperator({ email: input.email, role: input.role }, actor);
        io.out(`Operator ${created.operator.email} (${created.operator.role}) created. An invitation email is queued; its link works until ${created.inviteExpiresAt.toISOString()}.`);
        if (!config.database.url) io.out('Embedded database: the email is sent when the app runs (start it with `npm start`).');
        return 0;
      }
      case 'invite': {
        const operator = await auth.findByEmail(input.email);
        if (!operator) throw new AppError(404, 'OPERATOR_NOT_FOUND', `There is no operator ${input.email}.`);
        const sent = await auth.reinvite(operator.id, actor);
        io.out(`A new invitation for ${operator.email} is queued; the earlier link stopped working. Valid until ${sent.inviteExpiresAt.toISOString()}.`);
        return 0;
      }
      case 'disable': {
        const operator = await auth.findByEmail(input.email);
        if (!operator) throw new AppError(404, 'OPERATOR_NOT_FOUND', `There is no operator ${input.email}.`);
        await auth.disable(operator.id, input.reason, actor);
        io.out(`Operator ${operator.email} is disabled; its sessions have ended.`);
        return 0;
      }
    }
  } finally {
    await queue.stop({ graceful: false, timeoutMs: 2000 }).catch(() => {});
    await database.close();
  }
}

type Command = { command: 'list' } | { command: 'create'; email: string; role: OperatorRole } | { command: 'invite'; email: string } | { command: 'disable'; email: string; reason: string };

function parseCommand(command: string, values: { email?: string | undefined; role?: string | undefined; reason?: string | undefined }): { ok: true; value: Command } | { ok: false; problem: string } {
  if (command === 'list') return { ok: true, value: { command } };
  if (command !== 'create' && command !== 'invite' && command !== 'disable') return { ok: false, problem: `Unknown command "${command}".` };
  const email = emailAddress('--email').safeParse(values.email ?? '');
  if (!email.success) return { ok: false, problem: email.error.issues[0]?.message ?? '--email is not valid.' };
  if (command === 'invite') return { ok: true, value: { command, email: email.data } };
  if (command === 'disable') return { ok: true, value: { command, email: email.data, reason: values.reason?.trim() || 'disabled from the command line' } };
  const role = operatorRoleSchema.safeParse(values.role);
  if (!role.success) return { ok: false, problem: '--role must be admin or support.' };
  return { ok: true, value: { command, email: email.data, role: role.data } };
}

/** The demo keeps its application secret in the data folder (written by the app at first start). */
function demoSecret(dataDir: string): Buffer {
  const path = join(resolve(dataDir), 'app-secret');
  if (!existsSync(path)) throw new Error(`No APP_SECRET is set and ${path} does not exist: start the app once first (npm start), or set APP_SECRET.`);
  return Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
}

