import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { manualClock, MINUTE } from '../../server/lib/clock.ts';
import { startMailCatcher } from '../../server/modules/mail/mail.catcher.ts';
import { SENDING_STALE_MS } from '../../server/modules/mail/mail.service.ts';
import { childAppEnv, startChildApp, type ChildApp } from '../support/child-app.ts';
import { createTestDatabase, migratedDemoDataFolder, testBackends, type TestDatabase } from '../support/database.ts';
import { signupRequest } from '../support/factories.ts';
import { Browser } from '../support/http.ts';
import { waitFor } from '../support/sync.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

// The window the outbox leaves at-least-once (server/modules/mail/README.md): the app process is
// killed (SIGKILL) the moment the mail server has its message, before the app can record that the
// email was sent. The app runs as its real entry point in a child process; it comes back in this
// process, with its clock moved on, on the same database.

for (const backend of testBackends()) {
  describe(`email outbox: the app killed while the mail server takes an email (${backend})`, () => {
    it('after the restart the email is sent at most once more, with the same Message-ID, and the row ends sent', { timeout: 240_000 }, async () => {
      const request = signupRequest();
      const isOurs = (to: string[]) => to.includes(request.primaryContact.email);
      let app: ChildApp | undefined;
      const catcher = await startMailCatcher({
        port: 0,
        // The message has arrived; the app dies before it hears the server's answer.
        async onCaught(mail) {
          if (!isOurs(mail.to) || !app?.alive()) return;
          const exited = new Promise((resolve) => app!.child.once('exit', resolve));
          app.child.kill('SIGKILL');
          await exited;
        },
      });
      const postgres = backend === 'postgres' ? await createTestDatabase('postgres') : undefined;
      const env = childAppEnv({ SMTP_URL: catcher.smtpUrl, ...(postgres ? { DATABASE_URL: postgres.url! } : {}) });
      const dataDir = env.DATA_DIR!;
      // PGlite: the app's own data folder (migrated already: the first start is not under test),
      // opened again by the restarted app.
      if (!postgres) await migratedDemoDataFolder(dataDir);
      const database: TestDatabase = postgres ?? { backend: 'pglite', url: undefined, pglite: undefined, pool: undefined, drop: async () => {} };
      let back: TestSystem | undefined;
      try {
        app = await startChildApp({ name: 'app', env, startTimeoutMs: 120_000 });
        assert.equal((await new Browser(app.url!).post('/api/signups', request)).status, 202);
        const first = await catcher.waitFor((m) => isOurs(m.to), 60_000);
        await waitFor('the app killed', async () => !app!.alive(), 10_000);
        assert.equal(app.child.signalCode, 'SIGKILL');

        // The app comes back after SENDING_STALE_MS and a minute more: its clock is moved on.
        const clock = manualClock(new Date(Date.now() + SENDING_STALE_MS + MINUTE));
        back = await startTestSystem(backend, {
          roles: ['web'],
          database,
          clock,
          env: { SMTP_URL: catcher.smtpUrl, DATA_DIR: dataDir, JOB_MAINTENANCE_INTERVAL_SECONDS: '1' },
          vaultKeyFile: join(dataDir, 'vault-keys.json'),
        });
        const row = await back.database.db.selectFrom('outbox').selectAll().where('to_address', '=', request.primaryContact.email).executeTakeFirstOrThrow();
        assert.equal(row.status, 'sending', 'the killed attempt is not recorded as sent');
        assert.equal(row.attempts, 1);
        assert.equal(row.message_id, first.messageId);
        // Its job was fetched by the killed process and is active until it expires. pg-boss reads the
        // database's clock: the fetch is moved back by as much as the app's clock moved on.
        const moved = await sql`UPDATE pgboss.job SET started_on = started_on - ${`${SENDING_STALE_MS + MINUTE} milliseconds`}::interval WHERE id = ${row.job_id}::uuid AND state = 'active'`.execute(back.database.db);
        assert.equal(Number(moved.numAffectedRows), 1, 'the killed process held the email\u2019s job');
        await back.stop();

        back = await back.restart({ roles: ['web', 'worker'] });
        const db = back.database.db;
        await waitFor('the email sent and no email job left', async () => {
          const current = await db.selectFrom('outbox').select('status').where('id', '=', row.id).executeTakeFirstOrThrow();
          const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'mail.send' AND state IN ('created', 'retry', 'active')`.execute(db);
          return current.status === 'sent' && Number(rows[0]!.n) === 0;
        }, 60_000);
        const copies = catcher.messages().filter((m) => isOurs(m.to));
        assert.equal(copies.length, 2, 'the copy the killed app sent and one more');
        assert.deepEqual(copies.map((m) => m.messageId), [row.message_id, row.message_id], 'both carry the Message-ID fixed when the email was queued');
        const sent = await db.selectFrom('outbox').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
        assert.equal(sent.attempts, 2);
        assert.match(sent.smtp_response ?? '', /^250/);
        assert.equal(sent.sealed_secrets, null);
      } finally {
        await app?.stop();
        await back?.dispose();
        if (!back) await database.drop();
        await catcher.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
