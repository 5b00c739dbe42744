import { z } from 'zod';
import type { App } from '../../app/http.ts';
import { NotFoundError } from '../../lib/errors.ts';
import type { MailCatcher } from './mail.catcher.ts';

// The demo's web inbox over the built-in mail catcher. Registered only when the catcher runs.

const summary = z.object({ id: z.string(), subject: z.string(), from: z.string(), to: z.array(z.string()), cc: z.array(z.string()), receivedAt: z.iso.datetime() });

export function registerDevMailRoutes(app: App, catcher: MailCatcher) {
  const view = (m: ReturnType<MailCatcher['messages']>[number]) => ({ id: m.id, subject: m.subject, from: m.from, to: m.to, cc: m.cc, receivedAt: m.receivedAt.toISOString() });

  app.get('/dev/api/mail', { schema: { tags: ['demo'], summary: 'Emails caught by the demo mail catcher, newest first', response: { 200: z.object({ messages: z.array(summary) }) } } }, async () => ({
    messages: catcher.messages().map(view),
  }));

  app.get(
    '/dev/api/mail/:id',
    { schema: { tags: ['demo'], params: z.object({ id: z.string().regex(/^\d{1,9}$/) }), response: { 200: summary.extend({ text: z.string() }) } } },
    async (request) => {
      const mail = catcher.find(request.params.id);
      if (!mail) throw new NotFoundError('MAIL_NOT_FOUND', 'This email is no longer in the demo inbox (it keeps the latest 500).');
      return { ...view(mail), text: mail.text };
    },
  );

  // The email's own HTML, shown in a sandboxed frame: its inline styles are allowed here only,
  // and links open in the whole window so a click on "Verify email" behaves as in a mail client.
  app.get('/dev/mail/:id/html', { schema: { hide: true, params: z.object({ id: z.string().regex(/^\d{1,9}$/) }) } }, async (request, reply) => {
    const mail = catcher.find(request.params.id);
    if (!mail) throw new NotFoundError('MAIL_NOT_FOUND', 'This email is no longer in the demo inbox.');
    const html = mail.html.replace(/<head>/i, '<head><base target="_top">');
    return reply
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'")
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(html);
  });
}
