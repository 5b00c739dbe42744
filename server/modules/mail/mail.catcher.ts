import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

// The demo's built-in mail catcher: an SMTP server on a local port that keeps what it receives in
// memory, for the web inbox at /dev/mail and for tests. It never relays anything.

export interface CaughtMail {
  id: string;
  messageId: string;
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  text: string;
  html: string;
  receivedAt: Date;
}

export interface MailCatcher {
  port: number;
  smtpUrl: string;
  messages(): CaughtMail[];
  find(id: string): CaughtMail | undefined;
  /** Resolves with the first message (already caught or arriving later) that matches. */
  waitFor(match: (mail: CaughtMail) => boolean, timeoutMs?: number): Promise<CaughtMail>;
  clear(): void;
  close(): Promise<void>;
}

export interface CatcherOptions {
  port: number;
  host?: string;
  keep?: number;
  /** Refuse a recipient with this SMTP reply (tests: a mailbox that does not exist, a full one). */
  refuse?: (address: string) => { code: number; message: string } | undefined;
  /**
   * Runs with each message once it is caught, before the server answers it (tests: a sender that
   * dies the moment its message arrived, before it hears that it was accepted).
   */
  onCaught?: (mail: CaughtMail) => void | Promise<void>;
}

export async function startMailCatcher(options: CatcherOptions): Promise<MailCatcher> {
  const host = options.host ?? '127.0.0.1';
  const keep = options.keep ?? 500;
  const caught: CaughtMail[] = [];
  const waiters = new Set<{ match: (m: CaughtMail) => boolean; resolve: (m: CaughtMail) => void }>();
  let counter = 0;

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    size: 5 * 1024 * 1024,
    onRcptTo(address, _session, callback) {
      const refusal = options.refuse?.(address.address);
      if (!refusal) return callback();
      callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const addresses = (field: typeof parsed.to) =>
            (Array.isArray(field) ? field : field ? [field] : []).flatMap((a) => a.value.map((v) => v.address ?? ''));
          const mail: CaughtMail = {
            id: String(++counter),
            messageId: parsed.messageId ?? '',
            from: parsed.from?.text ?? '',
            to: addresses(parsed.to),
            cc: addresses(parsed.cc),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            receivedAt: new Date(),
          };
          void session;
          caught.push(mail);
          if (caught.length > keep) caught.shift();
          for (const waiter of waiters) {
            if (waiter.match(mail)) {
              waiters.delete(waiter);
              waiter.resolve(mail);
            }
          }
          return options.onCaught?.(mail);
        })
        .then(() => callback(), (error: Error) => callback(error));
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  return {
    port,
    smtpUrl: `smtp://${host}:${port}`,
    messages: () => [...caught].reverse(),
    find: (id) => caught.find((m) => m.id === id),
    waitFor(match, timeoutMs = 10_000) {
      const existing = caught.find(match);
      if (existing) return Promise.resolve(existing);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve };
        waiters.add(waiter);
        setTimeout(() => {
          if (waiters.delete(waiter)) reject(new Error(`No matching email arrived within ${timeoutMs} ms`));
        }, timeoutMs).unref();
      });
    },
    clear: () => {
      caught.length = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
