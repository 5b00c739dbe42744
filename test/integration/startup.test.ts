import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from '../../server/db/database.ts';
import { jobRegistry } from '../../server/jobs/registry.ts';
import { startMailCatcher } from '../../server/modules/mail/mail.catcher.ts';
import { childAppEnv, startChildApp, type ChildApp } from '../support/child-app.ts';
import { createTestDatabase } from '../support/database.ts';
import { scratchDir } from '../support/scratch.ts';

// Several instances starting at the same moment on a fresh PostgreSQL database: migrations, the
// job queue's schema and its queues are created once, nobody deadlocks, everybody serves.

const postgres = process.env.TEST_POSTGRES_URL ? describe : describe.skip;

postgres('several instances starting at once (postgres)', () => {
  it('three processes start together on a fresh database: all start, the schema and every queue exist once', async () => {
    const database = await createTestDatabase('postgres', { empty: true }); // no migration has run
    const catcher = await startMailCatcher({ port: 0 });
    const keyDir = scratchDir('startup-');
    const apps: ChildApp[] = [];
    try {
      const env = () => childAppEnv({ DATABASE_URL: database.url!, SMTP_URL: catcher.smtpUrl, VAULT_KEY_FILE: join(keyDir, 'vault-keys.json') });
      const started = await Promise.allSettled(['one', 'two', 'three'].map(async (name) => {
        const app = await startChildApp({ name, env: env(), startTimeoutMs: 120_000 });
        apps.push(app);
        return app;
      }));
      const failures = started.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => String(s.reason));
      assert.deepEqual(failures, [], 'every instance started');
      for (const app of apps) {
        assert.ok(app.alive());
        assert.equal((await fetch(`${app.url}/readyz`)).status, 200);
        assert.ok(!app.output.some((line) => /deadlock detected/.test(line)));
      }
      const check = await openDatabase({ url: database.url! });
      try {
        const { rows: queues } = await sql<{ name: string }>`SELECT name FROM pgboss.queue`.execute(check.db);
        assert.deepEqual(queues.map((q) => q.name).filter((n) => !n.startsWith('__pgboss__')).sort(), jobRegistry.map((j) => j.name).sort(), 'every queue once');
        const { rows: migrations } = await sql<{ name: string }>`SELECT name FROM kysely_migration`.execute(check.db);
        assert.equal(new Set(migrations.map((m) => m.name)).size, migrations.length, 'each migration ran once');
        const rings = await check.db.selectFrom('vault_key_ring').select('ring_id').execute();
        assert.equal(rings.length, 1);
      } finally {
        await check.close();
      }
    } finally {
      await Promise.all(apps.map((app) => app.stop()));
      await catcher.close();
      await database.drop();
    }
  });
});
