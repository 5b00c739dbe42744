import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { preferredBackend } from '../support/database.ts';
import { connectPartner, waitFor } from '../support/sync.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

// The emulator scenarios made for the product's journeys do what their names promise when the
// product runs through them: here, a Partner Center web app secret that expires during the sync.

describe('emulator scenario secret-expires-during-sync, through the product', () => {
  let system: TestSystem;
  let emulator: Emulator;

  before(async () => {
    emulator = await startEmulator({ scenario: 'ready' });
    system = await startTestSystem(preferredBackend(), { emulator });
  });
  after(async () => {
    await system.dispose();
    await emulator.close();
  });

  it('connect completes; the import\'s token renewal is refused with AADSTS7000222 and not retried', { timeout: 90_000 }, async () => {
    const { partner } = await connectPartner(system, emulator, { scenario: 'secret-expires-during-sync' });
    await waitFor('the refused renewal', async () => emulator.events.some((e) => e.type === 'token.error' && e.detail.code === 7000222), 30_000);
    const run = await waitFor('the failed run', async () => {
      const runs = await system.database.db.selectFrom('sync_runs').selectAll().where('partner_id', '=', partner.id).execute();
      return runs.find((r) => r.status === 'failed');
    }, 30_000);
    const error = run.error as { message?: string; retrying?: boolean } | null;
    assert.equal(error?.retrying, false, 'a partner action is not retried');
    assert.match(error?.message ?? '', /secret/i);
    const refused = emulator.events.filter((e) => e.type === 'token.error' && e.detail.code === 7000222);
    assert.equal(refused.length, 1, 'one refused renewal, no retries against Microsoft');
  });
});
