import type { DbOrTx } from '../../db/database.ts';
import type { MailCatcher } from './mail.catcher.ts';
import type { MailRepo } from './mail.repo.ts';
import { renderMailWithoutLinks, type MailContext } from './mail.templates.ts';

// The demo inbox: what was sent, read from the outbox, so a restart does not empty it. An email
// the catcher received since this process started is shown as it arrived, with its working link.
// An older one is rebuilt from its outbox row (template and parameters): the outbox erases the
// sealed link token once the email is sent, so its link is shown as removed, with the way to get
// a new one. No link token is ever kept in clear for this page.

export interface InboxMessage {
  id: string;
  subject: string;
  from: string;
  to: string[];
  cc: string[];
  receivedAt: Date;
  /** Set when the email had a one-time link that can no longer be shown. */
  linkRemoved: { newLink: string; href?: string; command?: string } | null;
  text: string;
  html: string;
}

const INBOX_SIZE = 500;
const catcherId = (id: string) => `c${id}`;

/** Where a link of this email can be had again, in words and as a page or a command. */
function newLinkFor(template: string, to: string): NonNullable<InboxMessage['linkRemoved']> {
  switch (template) {
    case 'verify_email':
      return { newLink: 'Ask for a new confirmation email on the help page (the earlier link stops working).', href: '/help#new-confirmation' };
    case 'signup_link':
      return { newLink: 'Ask for a new signup link on the help page (the earlier link stops working).', href: '/help#new-signup-link' };
    case 'operator_invite':
      return {
        newLink:
          'While the account is not set up, every start of the demo sends a new invitation for the demo administrator. For another operator: stop the demo, run this command, then start the demo again.',
        command: `npm run operator -- invite --email ${to}`,
      };
    default:
      return { newLink: 'The status page opens without the link in the browser that connected the tenant.', href: '/status' };
  }
}

export function createDemoInbox(deps: { db: DbOrTx; repo: MailRepo; catcher: MailCatcher; from: string; context: MailContext }) {
  const { catcher } = deps;

  async function messages(): Promise<InboxMessage[]> {
    const caught = catcher.messages();
    const caughtById = new Map(caught.filter((m) => m.messageId).map((m) => [m.messageId, m]));
    const rows = await deps.repo.listForInbox(deps.db, [...caughtById.keys()], INBOX_SIZE);
    const shown = new Set<string>();
    const list: InboxMessage[] = [];
    for (const row of rows) {
      const mail = caughtById.get(row.message_id);
      if (mail) {
        shown.add(mail.id);
        list.push({ id: row.id, subject: mail.subject, from: mail.from, to: mail.to, cc: mail.cc, receivedAt: mail.receivedAt, linkRemoved: null, text: mail.text, html: mail.html });
        continue;
      }
      const rendered = renderMailWithoutLinks(row.template, row.params as Record<string, unknown>, deps.context);
      list.push({
        id: row.id,
        subject: rendered.subject,
        from: deps.from,
        to: [row.to_address],
        cc: row.cc_addresses,
        receivedAt: new Date(row.sent_at ?? row.created_at),
        linkRemoved: rendered.linkRemoved ? newLinkFor(row.template, row.to_address) : null,
        text: rendered.text,
        html: rendered.html,
      });
    }
    // Whatever reached the catcher without an outbox row (another program sending to its port).
    for (const mail of caught) {
      if (shown.has(mail.id)) continue;
      list.push({ id: catcherId(mail.id), subject: mail.subject, from: mail.from, to: mail.to, cc: mail.cc, receivedAt: mail.receivedAt, linkRemoved: null, text: mail.text, html: mail.html });
    }
    return list.sort((a, b) => b.receivedAt.getTime() - a.receivedAt.getTime()).slice(0, INBOX_SIZE);
  }

  return {
    messages,
    async find(id: string): Promise<InboxMessage | undefined> {
      return (await messages()).find((m) => m.id === id);
    },
  };
}

export type DemoInbox = ReturnType<typeof createDemoInbox>;
