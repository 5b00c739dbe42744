import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/config.ts';
import { migrateToLatest, openDatabase } from '../../db/database.ts';
import { systemClock } from '../../lib/clock.ts';
import { runCli, type CliIo } from '../../lib/cli.ts';
import { createLogger } from '../../lib/logger.ts';
import { createTotpSecretStore } from '../operators/operators.keys.ts';
import { createOperatorsRepo } from '../operators/operators.repo.ts';
import { createKeyProvider } from './vault.config.ts';
import { createVault, type RotationSummary } from './vault.service.ts';

// The vault key rotation tool (entry point: vault.rotate.cli.ts).
// npm run vault:rotate                      new vault key version (every root record and app key re-wrapped)
//                                           and new app key version (operator authenticator secrets and
//                                           pending partner credentials re-sealed)
// npm run vault:rotate -- --resume          only move onto the active versions (after an interrupted run)
// npm run vault:rotate -- --retire <ver>    retire an old vault key version once no record uses it
// npm run vault:rotate -- --retire-app-key <n>  retire an old app key version (its short-lived sealed values stop opening)
// npm run vault:rotate -- --status          versions and records per version
// Runs beside the serving app (PostgreSQL). With the embedded PGlite the app holds the data folder:
// stop it first.

const usage = 'Usage: npm run vault:rotate [-- --resume | --retire <version> | --retire-app-key <n> | --status] [--batch-size <n>]';

/** Runs `npm run vault:rotate` with its arguments; answers the exit code. */
export function runVaultRotate(argv: string[], io: CliIo): Promise<number> {
  return runCli(io, () => run(argv, io));
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { resume: { type: 'boolean' }, retire: { type: 'string' }, 'retire-app-key': { type: 'string' }, status: { type: 'boolean' }, 'batch-size': { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    io.out(usage);
    return 0;
  }
  const config = loadConfig(io.env);
  const logger = createLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level, name: 'vault-rotate' });
  const vaultConfig = config.vault;
  const database = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir, poolSize: 4, logger });
  try {
    await migrateToLatest(database.db);
    const keys = createKeyProvider(vaultConfig, { authorityHost: config.microsoft.authorityHost, logger });
    const vault = createVault({ db: database.db, keys, clock: systemClock, logger, appSecret: config.appSecret ?? demoSecret(config.database.dataDir) });
    // The same checks as at the app's start: never rotate a key ring the database does not use.
    await vault.ensureKeyRing();
    // The app creates the app keyring at its first start; this tool only loads it.
    await vault.ensureAppKeys({ create: false });
    const stores = [createTotpSecretStore({ db: database.db, repo: createOperatorsRepo(), keyring: vault.appKeys })];
    const batchSize = values['batch-size'] ? Number(values['batch-size']) : 100;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`--batch-size must be a positive integer. ${usage}`);

    if (values.status) {
      const status = await vault.status();
      io.out(`Vault key provider: ${status.provider}; active version ${status.active}; usable ${status.usable.join(', ') || '-'}; retired ${status.retired.join(', ') || '-'}`);
      printCounts(status.recordsByKeyVersion, io);
      io.out(status.appKeys.active === 0 ? 'App keys: none yet (the app creates them at its first start).' : `App keys: active version ${status.appKeys.active}; usable ${status.appKeys.usable.join(', ')}; retired ${status.appKeys.retired.join(', ') || '-'}`);
      return 0;
    }
    if (values['retire-app-key']) {
      const version = Number(values['retire-app-key']);
      if (!Number.isInteger(version) || version < 1) throw new Error(`--retire-app-key takes an app key version (1, 2, ...). ${usage}`);
      await vault.retireAppKey(version, { stores });
      io.out(`App key version ${version} retired: values still sealed under it (unsent emails' links, sign-ins in progress) no longer open.`);
      return 0;
    }
    if (values.retire) {
      await vault.retire(values.retire);
      io.out(`Vault key version ${values.retire} retired.`);
      return 0;
    }
    const summary = values.resume ? await vault.rewrapToActive({ batchSize, stores }) : await vault.rotate({ batchSize, stores });
    printSummary(summary, io);
    const appKeysBehind = summary.resealed.some((s) => Object.keys(s.byVersion).some((v) => Number(v) !== vault.appKeys.activeVersion()));
    return summary.failed.length > 0 || appKeysBehind || Object.keys(summary.recordsByKeyVersion).some((v) => v !== summary.activeVersion) ? 1 : 0;
  } finally {
    await database.close();
  }
}

function printCounts(counts: Record<string, number>, io: CliIo): void {
  const entries = Object.entries(counts);
  if (entries.length === 0) io.out('No root records yet.');
  for (const [version, n] of entries) io.out(`  version ${version}: ${n} root record(s)`);
}

function printSummary(summary: RotationSummary, io: CliIo): void {
  io.out(summary.previousVersion ? `Vault key rotated: ${summary.previousVersion} -> ${summary.activeVersion}.` : `Re-wrapping onto the active version ${summary.activeVersion}.`);
  io.out(`Re-wrapped ${summary.rewrapped} root record(s).`);
  printCounts(summary.recordsByKeyVersion, io);
  for (const f of summary.failed) io.out(`  FAILED partner ${f.partnerId} ${f.field} v${f.version}: ${f.reason}`);
  io.out(`Re-wrapped ${summary.appKeysRewrapped} app key(s).`);
  if (summary.appKey) io.out(`App key rotated: ${summary.appKey.previous} -> ${summary.appKey.active}.`);
  for (const store of summary.resealed) {
    const counts = Object.entries(store.byVersion).map(([v, n]) => `${n} under ${v === '0' ? 'the format before the app keyring' : `app key ${v}`}`);
    io.out(`Re-sealed ${store.resealed} ${store.label}${counts.length > 0 ? ` (now ${counts.join(', ')})` : ''}.`);
  }
  if (summary.appKey) io.out(`Short-lived values sealed under app key ${summary.appKey.previous} (unsent emails' links, sign-ins in progress) keep opening until you retire it: \`npm run vault:rotate -- --retire-app-key ${summary.appKey.previous}\` (an hour from now is plenty).`);
  const old = Object.keys(summary.recordsByKeyVersion).filter((v) => v !== summary.activeVersion);
  if (old.length > 0) io.out(`Records remain on ${old.join(', ')}: run \`npm run vault:rotate -- --resume\` again before retiring.`);
  else if (summary.previousVersion) io.out(`Nothing uses ${summary.previousVersion} any more: retire it with \`npm run vault:rotate -- --retire ${summary.previousVersion}\`.`);
}

/** The demo keeps its application secret in the data folder (written by the app at its first start). */
function demoSecret(dataDir: string): Buffer | undefined {
  const path = join(resolve(dataDir), 'app-secret');
  return existsSync(path) ? Buffer.from(readFileSync(path, 'utf8').trim(), 'base64') : undefined;
}

