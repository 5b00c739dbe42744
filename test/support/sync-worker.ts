// A worker process for the multi-process sync tests: the real system with ROLES=worker against the
// test's PostgreSQL database, the emulator's URLs and the test's SMTP catcher, all from the
// environment the test passes. Prints SYNC_WORKER_READY once its workers poll.
import { loadConfig } from '../../server/config/config.ts';
import { startSystem } from '../../server/app/system.ts';

const system = await startSystem(loadConfig(process.env));
console.log('SYNC_WORKER_READY');
const stop = async () => {
  await system.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
