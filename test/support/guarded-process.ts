// A process with the product's process guards and nothing else, for server/app/process.int.test.ts:
// argv[2] says what goes wrong. It prints what happened and exits 0 if it carried on.
import { installProcessGuards } from '../../server/app/process.ts';
import { createLogger } from '../../server/lib/logger.ts';

const logger = createLogger({ level: 'info' });
installProcessGuards({ logger, shutdown: async () => void console.log('SHUTDOWN'), shutdownTimeoutMs: 2000 });
const terminated = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
const mode = process.argv[2];
if (mode === 'connection-exception') setTimeout(() => { throw terminated; });
if (mode === 'connection-rejection') void Promise.reject(new Error('Connection terminated unexpectedly'));
if (mode === 'other-rejection') void Promise.reject(new TypeError('x is undefined'));
if (mode === 'other-exception') setTimeout(() => { throw new TypeError('cannot read properties of undefined'); });
setTimeout(() => {
  console.log('CARRIED_ON');
  process.exit(0);
}, 300);
