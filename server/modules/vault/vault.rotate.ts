import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/config.ts';
import { migrateToLatest, openDatabase } from '../../db/database.ts';
import { systemClock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { createLogger } from '../../lib/logger.ts';
import { createKeyProvider } from './vault.config.ts';
import { createVault, type RotationSummary } from './vault.service.ts';

// npm run vault:rotate                      new vault key version, every root record re-wrapped
// npm run vault:rotate -- --resume          only re-wrap onto the active version (after an interrupted run)
// npm run vault:rotate -- --retire <ver>    retire an old version once no record uses it
// npm run vault:rotate -- --status          versions and records per version
// Runs beside the serving app (PostgreSQL). With the embedded PGlite the app holds the data folder:
// stop it first.

const usage = 'Usage: npm run vault:rotate [-- --resume | --retire <version> | --status] [--batch-size <n>]';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { resume: { type: 'boolean' }, retire: { type: 'string' }, status: { type: 'boolean' }, 'batch-size': { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const config = loadConfig();
  const logger = createLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level, name: 'vault-rotate' });
  const vaultConfig = config.vault;
  const database = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir, poolSize: 4, logger });
  try {
    await migrateToLatest(database.db);
    const keys = createKeyProvider(vaultConfig, { authorityHost: config.microsoft.authorityHost, logger });
    const vault = createVault({ db: database.db, keys, clock: systemClock, logger });
    // The same check as at the app's start: never rotate a key ring the database does not use.
    await vault.ensureKeyRing();
    const batchSize = values['batch-size'] ? Number(values['batch-size']) : 100;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`--batch-size must be a positive integer. ${usage}`);

    if (values.status) {
      const status = await vault.status();
      console.log(`Vault key provider: ${status.provider}; active version ${status.active}; usable ${status.usable.join(', ') || '-'}; retired ${status.retired.join(', ') || '-'}`);
      printCounts(status.recordsByKeyVersion);
      return 0;
    }
    if (values.retire) {
      await vault.retire(values.retire);
      console.log(`Vault key version ${values.retire} retired.`);
      return 0;
    }
    const summary = values.resume ? await vault.rewrapToActive({ batchSize }) : await vault.rotate({ batchSize });
    printSummary(summary);
    return summary.failed.length > 0 || Object.keys(summary.recordsByKeyVersion).some((v) => v !== summary.activeVersion) ? 1 : 0;
  } finally {
    await database.close();
  }
}

function printCounts(counts: Record<string, number>): void {
  const entries = Object.entries(counts);
  if (entries.length === 0) console.log('No root records yet.');
  for (const [version, n] of entries) console.log(`  version ${version}: ${n} root record(s)`);
}

function printSummary(summary: RotationSummary): void {
  console.log(summary.previousVersion ? `Vault key rotated: ${summary.previousVersion} -> ${summary.activeVersion}.` : `Re-wrapping onto the active version ${summary.activeVersion}.`);
  console.log(`Re-wrapped ${summary.rewrapped} root record(s).`);
  printCounts(summary.recordsByKeyVersion);
  for (const f of summary.failed) console.log(`  FAILED partner ${f.partnerId} ${f.field} v${f.version}: ${f.reason}`);
  const old = Object.keys(summary.recordsByKeyVersion).filter((v) => v !== summary.activeVersion);
  if (old.length > 0) console.log(`Records remain on ${old.join(', ')}: run \`npm run vault:rotate -- --resume\` again before retiring.`);
  else if (summary.previousVersion) console.log(`Nothing uses ${summary.previousVersion} any more: retire it with \`npm run vault:rotate -- --retire ${summary.previousVersion}\`.`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof AppError || error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
