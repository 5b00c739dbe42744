import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startMailCatcher, type MailCatcher } from './mail.catcher.ts';
import { createSmtpTransport } from './mail.transport.ts';

// A mail server session that hangs (connects, never greets) holds one message until its timeout,
// never the others: the transport sends over several connections at once and every stage of a
// session has a timeout.

describe('SMTP transport: a hung session', () => {
  let catcher: MailCatcher;
  let proxyPort = 0;
  const held: Socket[] = [];
  let hangNext = true;
  const proxy = createServer((client) => {
    if (hangNext) {
      // The first connection: accepted, then silence (a mail server stuck before its greeting).
      hangNext = false;
      held.push(client);
      client.on('error', () => {});
      return;
    }
    const upstream = connect(Number(new URL(catcher.smtpUrl).port), '127.0.0.1');
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });

  before(async () => {
    catcher = await startMailCatcher({ port: 0 });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyPort = (proxy.address() as { port: number }).port;
  });
  after(async () => {
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => proxy.close(resolve));
    await catcher.close();
  });

  it('the other messages go out at once; the hung one fails after the greeting timeout and can be sent again', async () => {
    const transport = createSmtpTransport(`smtp://127.0.0.1:${proxyPort}`, { timeouts: { greetingMs: 1500 }, maxConnections: 3 });
    try {
      const mail = (n: number) => ({ messageId: `<m${n}@test>`, from: 'signup@totalone.example', to: `partner${n}@fabrikam.example`, cc: [], subject: `Message ${n}`, text: 'Hello', html: '<p>Hello</p>' });
      const results = await Promise.allSettled([1, 2, 3].map((n) => transport.send(mail(n))));
      const failed = results.filter((r) => r.status === 'rejected');
      assert.equal(failed.length, 1, 'exactly the message on the hung session failed');
      assert.match(String((failed[0] as PromiseRejectedResult).reason), /greeting|timeout/i);
      assert.equal(catcher.messages().length, 2, 'the others were delivered');
      const failedIndex = results.findIndex((r) => r.status === 'rejected');
      await transport.send(mail(failedIndex + 1));
      assert.equal(catcher.messages().length, 3, 'the message that failed goes out on the next attempt');
    } finally {
      transport.close();
    }
  });
});
