// A worker process for the multi-process sync tests: the real system with ROLES=worker against the
// test's PostgreSQL database, the emulator's URLs and the test's SMTP catcher, all from the
// environment the test passes. Prints SYNC_WORKER_READY once its workers poll.
import { loadConfig } from '../../server/config/config.ts';
import { startSystem } from '../../server/app/system.ts';

const config = loadConfig(process.env);
// Until config.ts reads SYNC_REQUESTS_PER_MINUTE itself (see docs of issue 4), pass it the same shape.
const perMinute = Number(process.env.SYNC_REQUESTS_PER_MINUTE ?? '');
const system = await startSystem(Number.isFinite(perMinute) && perMinute > 0 ? { ...config, sync: { requestsPerMinute: perMinute } } as typeof config : config);
console.log('SYNC_WORKER_READY');
const stop = async () => {
  await system.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
