import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { HOUR } from '../../server/lib/clock.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { startMailCatcher } from '../../server/modules/mail/mail.catcher.ts';
import { sweepOutboxJob } from '../../server/modules/mail/mail.jobs.ts';
import { createMailRepo } from '../../server/modules/mail/mail.repo.ts';
import { createMailService, SENDING_STALE_MS } from '../../server/modules/mail/mail.service.ts';
import { createSmtpTransport, type MailTransport } from '../../server/modules/mail/mail.transport.ts';
import { testBackends } from '../support/database.ts';
import { signupRequest } from '../support/factories.ts';
import { Browser } from '../support/http.ts';
import { settled } from '../support/settled.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';
import { waitFor } from '../support/sync.ts';

/** No mail.send job waits, retries or runs: nothing more can be sent. */
async function mailJobsLeft(system: TestSystem): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'mail.send' AND state IN ('created', 'retry', 'active')`.execute(system.database.db);
  return Number(rows[0]!.n);
}

/** The outbox of `system` sent through `transport`: another worker on the same database. */
function mailServiceWith(system: TestSystem, transport: MailTransport) {
  return createMailService({
    db: system.database.db,
    repo: createMailRepo(),
    queue: system.queue,
    transport,
    clock: system.clock,
    logger: createLogger({ level: 'silent' }),
    sealer: system.services.vault.appKeys.sealer('outbox'),
    from: 'test@example.com',
    context: { publicUrl: system.publicUrl, supportEmail: 'support@example.com' },
  });
}

/** One signup over HTTP: its confirmation email waits in the outbox (no worker sends it). */
async function queuedConfirmation(system: TestSystem) {
  const request = signupRequest();
  assert.equal((await new Browser(system.url!).post('/api/signups', request)).status, 202);
  return system.database.db.selectFrom('outbox').selectAll().where('to_address', '=', request.primaryContact.email).executeTakeFirstOrThrow();
}

for (const backend of testBackends()) {
  describe(`email outbox (${backend})`, () => {
    it('an email committed but not yet sent when the process stops goes out exactly once after restart', async () => {
      // First process: web only, so the transaction commits the outbox row and its job, and then
      // the process stops before any worker could send it.
      const first = await startTestSystem(backend, { roles: ['web'] });
      const request = signupRequest();
      try {
        const response = await new Browser(first.url!).post('/api/signups', request);
        assert.equal(response.status, 202);
        const pending = await first.database.db.selectFrom('outbox').selectAll().execute();
        assert.equal(pending.length, 1);
        assert.equal(pending[0]!.status, 'pending');
        assert.ok(pending[0]!.sealed_secrets, 'the link token waits sealed, not in clear');
      } finally {
        await first.stop();
      }
      assert.equal(first.catcher!.messages().length, 0);

      const second = await first.restart({ roles: ['web', 'worker'] });
      try {
        const mail = await second.catcher!.waitFor((m) => m.to.includes(request.primaryContact.email), 20_000);
        assert.match(mail.subject, /Confirm your email/);
        // Every queued email sent and every job done: a duplicate would have arrived by now.
        await settled(second);
        assert.equal(second.catcher!.messages().filter((m) => m.to.includes(request.primaryContact.email)).length, 1);
        const sent = await second.database.db.selectFrom('outbox').selectAll().executeTakeFirstOrThrow();
        assert.equal(sent.status, 'sent');
        assert.equal(sent.sealed_secrets, null, 'the sealed token is erased once the email is sent');
        assert.ok(sent.sent_at);
      } finally {
        await second.dispose();
      }
    });

    it('a failing SMTP server is retried with backoff and the email arrives once it recovers', async () => {
      let failuresLeft = 2;
      const sent: string[] = [];
      // No worker in this system: the test itself plays the job runner, deterministically.
      const system = await startTestSystem(backend, { roles: ['web'] });
      try {
        // Swap in a transport that fails twice, like a mail server that is briefly down.
        const mail = mailServiceWith(system, {
          async send(message) {
            if (failuresLeft-- > 0) throw new Error('421 service not available');
            sent.push(message.messageId);
          },
          close() {},
        });
        const id = await system.database.db.transaction().execute((tx) =>
          mail.queue(tx, { template: 'support_request_received', to: 'x@example.com', params: { firstName: 'X', reference: 'SR-1', message: 'hello there' }, idempotencyKey: 'retry-test' }),
        );
        assert.ok(id);
        await assert.rejects(mail.deliver(id));
        await assert.rejects(mail.deliver(id));
        await mail.deliver(id);
        await mail.deliver(id); // a retry after success sends nothing
        assert.deepEqual(sent, [`<retry-test@127.0.0.1>`]);
        const row = await system.database.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        assert.equal(row.status, 'sent');
        assert.equal(row.attempts, 3);
        // The same idempotency key queues nothing the second time.
        const again = await system.database.db.transaction().execute((tx) =>
          mail.queue(tx, { template: 'support_request_received', to: 'x@example.com', params: { firstName: 'X', reference: 'SR-1', message: 'hello there' }, idempotencyKey: 'retry-test' }),
        );
        assert.equal(again, undefined);
        const queue = await system.queue.boss.getQueue('mail.send');
        assert.equal(queue?.retryBackoff, true);
        assert.ok((queue?.retryLimit ?? 0) >= 5);
      } finally {
        await system.dispose();
      }
    });

    it('an SMTP outage of hours: jobs give up or vanish, the outbox sweeper keeps trying with backoff, and once the server is back every email is sent exactly once', async () => {
      const catcher = await startMailCatcher({ port: 0 });
      const port = catcher.port;
      const system = await startTestSystem(backend, { env: { SMTP_URL: catcher.smtpUrl } });
      let restarted: Awaited<ReturnType<typeof startMailCatcher>> | undefined;
      try {
        await catcher.close(); // the mail server goes away
        const browser = new Browser(system.url!);
        const requests = [signupRequest(), signupRequest(), signupRequest()];
        for (const request of requests) assert.equal((await browser.post('/api/signups', request)).status, 202);
        const db = system.database.db;
        // A failed attempt shows in the outbox before its job is handed back to pg-boss: the jobs are
        // changed below only once each waits for its retry (5 s or more away), not while a worker
        // still holds one (pg-boss fails a job by deleting and inserting it again, which a
        // concurrent UPDATE or DELETE of that job would miss).
        await waitFor('a failed first attempt of every email, each job waiting for its retry', async () => {
          const rows = await db.selectFrom('outbox').select(['status', 'attempts', 'last_error']).execute();
          if (!(rows.length === 3 && rows.every((r) => r.status === 'pending' && r.attempts >= 1 && r.last_error))) return false;
          const { rows: jobs } = await sql<{ state: string }>`SELECT state FROM pgboss.job WHERE name = 'mail.send'`.execute(db);
          return jobs.length === 3 && jobs.every((j) => j.state === 'retry');
        }, 30_000);

        // Hours pass. pg-boss is where it would be by then: two jobs gave up after their retries,
        // the third is gone altogether (deleted with the queue's retention).
        const rows = await db.selectFrom('outbox').select(['id', 'job_id', 'message_id']).orderBy('created_at').execute();
        await sql`UPDATE pgboss.job SET state = 'failed', completed_on = now() WHERE name = 'mail.send' AND id = ANY(${sql.val([rows[0]!.job_id, rows[1]!.job_id])}::uuid[])`.execute(db);
        await sql`DELETE FROM pgboss.job WHERE name = 'mail.send' AND id = ${rows[2]!.job_id}::uuid`.execute(db);
        assert.equal(await mailJobsLeft(system), 0, 'no job would ever send these emails again');

        // The sweeper waits for each row's backoff...
        assert.equal(await system.services.mail.sweep(), 0, 'nothing is due before its backoff is over');
        system.clock.advance(3 * HOUR);
        // ...and while the server is still away it tries once per due row, then waits again.
        assert.equal(await system.services.mail.sweep(), 3);
        await waitFor('the swept attempts failed too', async () => (await mailJobsLeft(system)) === 0 && (await db.selectFrom('outbox').select('status').where('status', '!=', 'pending').execute()).length === 0, 30_000);
        assert.equal(await system.services.mail.sweep(), 0, 'the next attempt waits for the backoff again');
        const waiting = await db.selectFrom('outbox').select(['attempts', 'next_attempt_at']).execute();
        for (const row of waiting) assert.ok(new Date(row.next_attempt_at!).getTime() > system.clock.now().getTime());

        // The mail server is back; a day later (days of outage are fine too) the scheduled sweep runs.
        const back = await startMailCatcher({ port });
        restarted = back;
        system.clock.advance(24 * HOUR);
        await system.queue.enqueue(sweepOutboxJob, {});
        await waitFor('every email sent and no email job left', async () => {
          const unsent = await db.selectFrom('outbox').select('id').where('status', '!=', 'sent').execute();
          return unsent.length === 0 && (await mailJobsLeft(system)) === 0;
        }, 60_000);
        for (const request of requests) {
          const received = back.messages().filter((m) => m.to.includes(request.primaryContact.email));
          assert.equal(received.length, 1, `exactly one email to ${request.primaryContact.email}`);
        }
        // The same Message-ID the row was given when it was queued, whatever the number of attempts.
        assert.deepEqual(new Set(back.messages().map((m) => m.messageId)), new Set(rows.map((r) => r.message_id)));
        const sent = await db.selectFrom('outbox').selectAll().execute();
        for (const row of sent) {
          assert.match(row.smtp_response ?? '', /^250/, 'the server\'s acceptance is recorded');
          assert.equal(row.sealed_secrets, null);
        }
      } finally {
        await system.dispose();
        await restarted?.close();
      }
    });

    it('a recipient the mail server refuses for good is marked failed (not retried) and shown in the console; a temporary refusal keeps being retried', async () => {
      const catcher = await startMailCatcher({
        port: 0,
        refuse: (address) =>
          address.startsWith('nobody.') ? { code: 550, message: '5.1.1 No such user here' } : address.startsWith('full.') ? { code: 452, message: '4.2.2 Mailbox full, try later' } : undefined,
      });
      const system = await startTestSystem(backend, { env: { SMTP_URL: catcher.smtpUrl } });
      try {
        const browser = new Browser(system.url!);
        const refused = signupRequest({ primaryContact: { email: `nobody.${Date.now()}@fabrikam.example` } });
        const full = signupRequest({ primaryContact: { email: `full.${Date.now()}@fabrikam.example` } });
        const fine = signupRequest();
        for (const request of [refused, full, fine]) assert.equal((await browser.post('/api/signups', request)).status, 202);
        await catcher.waitFor((m) => m.to.includes(fine.primaryContact.email), 20_000);
        const db = system.database.db;
        const row = (email: string) => db.selectFrom('outbox').selectAll().where('to_address', '=', email).executeTakeFirstOrThrow();
        const failed = await waitFor('the refused email marked failed', async () => {
          const r = await row(refused.primaryContact.email);
          return r.status === 'failed' ? r : undefined;
        }, 20_000);
        assert.match(failed.last_error ?? '', /550/);
        assert.equal(failed.attempts, 1, 'a permanent refusal is not retried');
        assert.equal(failed.sealed_secrets, null, 'nothing secret stays behind');
        // The row is marked before the handler returns; the job is completed right after.
        await waitFor('its job completed: nothing to retry', async () => {
          const { rows: jobs } = await sql<{ state: string }>`SELECT state FROM pgboss.job WHERE id = ${failed.job_id}::uuid`.execute(db);
          assert.ok(['active', 'completed'].includes(jobs[0]?.state ?? ''), `job state ${jobs[0]?.state}: never retried`);
          return jobs[0]?.state === 'completed';
        }, 20_000);
        // The sweeper leaves it alone, however much later.
        system.clock.advance(48 * HOUR);
        await system.services.mail.sweep();
        assert.equal((await row(refused.primaryContact.email)).status, 'failed');

        await waitFor('the temporary refusal retried', async () => (await row(full.primaryContact.email)).attempts >= 2, 30_000);
        assert.equal((await row(full.primaryContact.email)).status === 'failed', false);

        const overview = await system.services.operatorConsole.overview({});
        assert.equal(overview.emails.failed, 1);
        assert.equal(overview.emails.recentFailures[0]!.to, refused.primaryContact.email);
        assert.match(overview.emails.recentFailures[0]!.lastError ?? '', /No such user/);
        assert.ok(overview.emails.waiting >= 1, 'the temporarily refused email still waits');
      } finally {
        await system.dispose();
        await catcher.close();
      }
    });

    it('the same email delivered by several jobs at once (a job, its retry, a sweeper\u2019s job) reaches the mail server once', async () => {
      // No worker in this system: the test runs the deliveries itself, all at the same moment.
      const system = await startTestSystem(backend, { roles: ['web'] });
      try {
        const row = await queuedConfirmation(system);
        await Promise.all([1, 2, 3, 4].map(() => system.services.mail.deliver(row.id)));
        const copies = system.catcher!.messages().filter((m) => m.messageId === row.message_id);
        assert.equal(copies.length, 1, 'one copy reached the mail server');
        const sent = await system.database.db.selectFrom('outbox').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
        assert.equal(sent.status, 'sent');
        assert.equal(sent.attempts, 1, 'one attempt was made');
        // They overlapped: the others found the email taken while its SMTP call was under way.
        assert.ok(system.logLines.some((line) => line.includes(row.id) && line.includes('being sent by another worker')), 'a second delivery found the email being sent');
      } finally {
        await system.dispose();
      }
    });

    it('an email left `sending` by a process that died after the mail server took it is sent again once stale, with the same Message-ID', async () => {
      const system = await startTestSystem(backend, { roles: ['web'] });
      const smtp = createSmtpTransport(system.catcher!.smtpUrl);
      try {
        const row = await queuedConfirmation(system);
        const db = system.database.db;
        const current = () => db.selectFrom('outbox').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
        const copies = () => system.catcher!.messages().filter((m) => m.to.includes(row.to_address));

        // A worker fetches the email's job and sends it; the mail server accepts it, and the worker's
        // process dies before it records that (its deliver never goes on).
        const [job] = await system.queue.boss.fetch<{ outboxId: string }>('mail.send');
        assert.equal(job?.data.outboxId, row.id);
        let accepted!: () => void;
        const serverTookIt = new Promise<void>((resolve) => (accepted = resolve));
        const dying = mailServiceWith(system, {
          async send(mail) {
            await smtp.send(mail);
            accepted();
            return new Promise<never>(() => {});
          },
          close() {},
        });
        void dying.deliver(row.id);
        await serverTookIt;
        assert.equal(copies().length, 1);
        assert.deepEqual([(await current()).status, (await current()).attempts], ['sending', 1]);

        // Its job runs again after its expiry (a minute): the email is still within SENDING_STALE_MS,
        // so the retry leaves it to the attempt it believes is under way, and its job completes.
        system.clock.advance(SENDING_STALE_MS - 1000);
        await system.services.mail.deliver(row.id);
        await system.queue.boss.complete('mail.send', job!.id);
        assert.equal(await system.services.mail.sweep(), 0, 'the sweeper leaves an attempt within SENDING_STALE_MS alone');
        assert.equal(copies().length, 1, 'nothing more was sent');
        assert.equal((await current()).status, 'sending');

        // Stale: the sweeper hands it to a new job, which sends it again with the same Message-ID.
        system.clock.advance(2000);
        assert.equal(await system.services.mail.sweep(), 1);
        const handed = await current();
        assert.notEqual(handed.job_id, row.job_id, 'the row names its new job');
        await system.services.mail.deliver(row.id); // that job's run (no worker in this system)
        const received = copies();
        assert.equal(received.length, 2, 'one more copy, no more');
        assert.deepEqual(received.map((m) => m.messageId), [row.message_id, row.message_id], 'both copies carry the Message-ID fixed when the email was queued');
        const sent = await current();
        assert.equal(sent.status, 'sent');
        assert.equal(sent.attempts, 2);
        assert.match(sent.smtp_response ?? '', /^250/);
        // Sent now: a late job or sweep sends nothing more.
        system.clock.advance(SENDING_STALE_MS * 2);
        await system.services.mail.deliver(row.id);
        assert.equal(await system.services.mail.sweep(), 0);
        assert.equal(copies().length, 2);
      } finally {
        smtp.close();
        await system.dispose();
      }
    });

    it('a job fetched on a database connection that dropped (active, never run) is taken again at the first maintenance after its expiry (JOB_MAINTENANCE_INTERVAL_SECONDS)', async () => {
      const first = await startTestSystem(backend, { roles: ['web'], env: { JOB_MAINTENANCE_INTERVAL_SECONDS: '1' } });
      let second: TestSystem | undefined;
      try {
        const row = await queuedConfirmation(first);
        // A worker fetched the job and its connection dropped with the answer: the job is active and
        // nobody runs it. Its expiry (a minute) is over: pg-boss reads the database's clock, so the
        // fetch is moved back instead.
        const fetched = await sql`UPDATE pgboss.job SET state = 'active', started_on = now() - interval '61 seconds' WHERE id = ${row.job_id}::uuid`.execute(first.database.db);
        assert.equal(Number(fetched.numAffectedRows), 1);
        await first.stop();
        second = await first.restart({ roles: ['web', 'worker'] });
        // Maintenance every second: the expired job is retried (its first retry waits 5 s) and sent.
        // At pg-boss' own interval (two minutes) or the earlier fixed 30 s, it would still wait here.
        const mail = await second.catcher!.waitFor((m) => m.messageId === row.message_id, 20_000);
        assert.ok(mail);
        await waitFor('the email marked sent', async () => (await second!.database.db.selectFrom('outbox').select('status').where('id', '=', row.id).executeTakeFirstOrThrow()).status === 'sent', 10_000);
      } finally {
        await (second ?? first).dispose();
      }
    });

    it('two sweepers at once queue each due email once', async () => {
      const system = await startTestSystem(backend, { roles: ['web'] });
      try {
        const browser = new Browser(system.url!);
        for (let i = 0; i < 5; i++) assert.equal((await browser.post('/api/signups', signupRequest())).status, 202);
        const db = system.database.db;
        // Their jobs vanished; no worker runs in this system.
        await sql`DELETE FROM pgboss.job WHERE name = 'mail.send'`.execute(db);
        const counts = await Promise.all([system.services.mail.sweep(), system.services.mail.sweep(), system.services.mail.sweep()]);
        assert.equal(counts.reduce((a, b) => a + b, 0), 5);
        const { rows } = await sql<{ outbox_id: string; n: number }>`SELECT data->>'outboxId' AS outbox_id, count(*)::int AS n FROM pgboss.job WHERE name = 'mail.send' GROUP BY 1`.execute(db);
        assert.equal(rows.length, 5);
        assert.ok(rows.every((r) => Number(r.n) === 1));
        const outbox = await db.selectFrom('outbox').select(['id', 'job_id']).execute();
        const { rows: jobs } = await sql<{ id: string; data: { outboxId: string } }>`SELECT id::text AS id, data FROM pgboss.job WHERE name = 'mail.send'`.execute(db);
        for (const row of outbox) assert.equal(jobs.find((j) => j.data.outboxId === row.id)?.id, row.job_id, 'the row names its new job');
      } finally {
        await system.dispose();
      }
    });
  });
}
