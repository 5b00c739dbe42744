import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testBackends } from '../support/database.ts';
import { signupRequest } from '../support/factories.ts';
import { Browser } from '../support/http.ts';
import { startTestSystem } from '../support/system.ts';

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
        // Give a duplicate every chance to appear.
        await new Promise((r) => setTimeout(r, 2500));
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
        const { createMailService } = await import('../../server/modules/mail/mail.service.ts');
        const { createMailRepo } = await import('../../server/modules/mail/mail.repo.ts');
        const { createLogger } = await import('../../server/lib/logger.ts');
        const mail = createMailService({
          db: system.database.db,
          repo: createMailRepo(),
          queue: system.queue,
          transport: {
            async send(message) {
              if (failuresLeft-- > 0) throw new Error('421 service not available');
              sent.push(message.messageId);
            },
            close() {},
          },
          clock: system.clock,
          logger: createLogger({ level: 'silent' }),
          sealKey: Buffer.alloc(32, 1),
          from: 'test@example.com',
          context: { publicUrl: system.publicUrl, supportEmail: 'support@example.com' },
        });
        const id = await system.database.db.transaction().execute((tx) =>
          mail.queue(tx, { template: 'support_request_received', to: 'x@example.com', params: { name: 'X', reference: 'SR-1', message: 'hello there' }, idempotencyKey: 'retry-test' }),
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
          mail.queue(tx, { template: 'support_request_received', to: 'x@example.com', params: { name: 'X', reference: 'SR-1', message: 'hello there' }, idempotencyKey: 'retry-test' }),
        );
        assert.equal(again, undefined);
        const queue = await system.queue.boss.getQueue('mail.send');
        assert.equal(queue?.retryBackoff, true);
        assert.ok((queue?.retryLimit ?? 0) >= 5);
      } finally {
        await system.dispose();
      }
    });
  });
}
