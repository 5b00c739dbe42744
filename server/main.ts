import { ConfigError, loadConfig } from './config/config.ts';
import { installProcessGuards } from './app/process.ts';
import { startupReport } from './app/startup-report.ts';
import { startSystem, type System } from './app/system.ts';
import { createLogger } from './lib/logger.ts';

// Entry point: read the configuration, start the roles it names, print where everything is.

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  // One logger for the process; the guards log what nothing else caught (see app/process.ts).
  const logger = createLogger({ level: config.log.level });
  let system: System | undefined;
  installProcessGuards({ logger, shutdown: async () => system?.close() });
  system = await startSystem(config, { logger });
  console.log((await startupReport(config, system)).join('\n'));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal} received, stopping...`);
    await system!.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error) => {
  console.error('TotalOne Signup could not start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
