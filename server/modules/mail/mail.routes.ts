import { z } from 'zod';
import type { App } from '../../app/http.ts';
import { NotFoundError } from '../../lib/errors.ts';
import type { DemoInbox, InboxMessage } from './mail.inbox.ts';

// The demo's web inbox: what was sent (the outbox), with the built-in mail catcher's copy of what
// arrived since this start. Registered only when the catcher runs.

const linkRemoved = z.object({ newLink: z.string(), href: z.string().optional(), command: z.string().optional() }).nullable();
const summary = z.object({
  id: z.string(),
  subject: z.string(),
  from: z.string(),
  to: z.array(z.string()),
  cc: z.array(z.string()),
  receivedAt: z.iso.datetime(),
  linkRemoved,
});
const mailId = z.object({ id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/) });

export function registerDevMailRoutes(app: App, inbox: DemoInbox) {
  const view = (m: InboxMessage) => ({ id: m.id, subject: m.subject, from: m.from, to: m.to, cc: m.cc, receivedAt: m.receivedAt.toISOString(), linkRemoved: m.linkRemoved });

  app.get('/dev/api/mail', { schema: { tags: ['demo'], summary: 'Emails sent in the demo, newest first', response: { 200: z.object({ messages: z.array(summary) }) } } }, async () => ({
    messages: (await inbox.messages()).map(view),
  }));

  app.get('/dev/api/mail/:id', { schema: { tags: ['demo'], params: mailId, response: { 200: summary.extend({ text: z.string() }) } } }, async (request) => {
    const mail = await inbox.find(request.params.id);
    if (!mail) throw new NotFoundError('MAIL_NOT_FOUND', 'This email is no longer in the demo inbox (it keeps the latest 500).');
    return { ...view(mail), text: mail.text };
  });

  // The email's own HTML, shown in a sandboxed frame: its inline styles are allowed here only,
  // and links open in the whole window so a click on "Verify email" behaves as in a mail client.
  app.get('/dev/mail/:id/html', { schema: { hide: true, params: mailId } }, async (request, reply) => {
    const mail = await inbox.find(request.params.id);
    if (!mail) throw new NotFoundError('MAIL_NOT_FOUND', 'This email is no longer in the demo inbox.');
    const html = mail.html.replace(/<head>/i, '<head><base target="_top">');
    return reply
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'")
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(html);
  });
}
