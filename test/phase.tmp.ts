import { startEmulator } from '../emulator/index.ts';
import { startTestSystem } from './support/system.ts';
for (const backend of ['pglite','postgres'] as const) for (let i = 0; i < 3; i++) {
  let t = Date.now(); const lap = (what: string) => { const n = Date.now(); console.log(backend, what, n - t, 'ms'); t = n; };
  const emulator = await startEmulator({ scenario: 'ready' }); lap('emulator');
  const system = await startTestSystem(backend, { emulator }); lap('system');
  await system.stop(); lap('stop');
  await system.db.drop(); lap('drop');
  await emulator.close(); lap('emulator close');
}
