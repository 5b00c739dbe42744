import nodemailer, { type Transporter } from 'nodemailer';

export interface OutgoingMail {
  messageId: string;
  from: string;
  to: string;
  cc: string[];
  subject: string;
  text: string;
  html: string;
}

/** What the mail server answered when it accepted the message. */
export interface SendResult {
  /** The server's reply to the message (e.g. `250 2.0.0 Ok: queued as 4Xy`). */
  response: string;
  /** Recipients it refused while accepting the others (the message went to the rest). */
  rejected: string[];
}

export interface MailTransport {
  send(mail: OutgoingMail): Promise<SendResult | void>;
  close(): void;
}

export interface SmtpTimeouts {
  /** Until the TCP (and TLS) connection is up. */
  connectionMs: number;
  /** Until the server's greeting after connecting. */
  greetingMs: number;
  /** Inactivity on an open connection (a server that stops answering mid-session). */
  socketMs: number;
}

export const defaultSmtpTimeouts: SmtpTimeouts = { connectionMs: 10_000, greetingMs: 10_000, socketMs: 30_000 };

/**
 * SMTP through nodemailer, pooled: smtp-server delays each new connection by 100 ms. Several
 * connections at once, so one hung session holds one message, not every worker's mail; and every
 * stage of a session has a timeout, so a hung one ends and its message is retried.
 */
export function createSmtpTransport(smtpUrl: string, options: { timeouts?: Partial<SmtpTimeouts>; maxConnections?: number } = {}): MailTransport {
  const timeouts = { ...defaultSmtpTimeouts, ...options.timeouts };
  const transporter: Transporter = nodemailer.createTransport({
    url: smtpUrl,
    pool: true,
    maxConnections: options.maxConnections ?? 5,
    connectionTimeout: timeouts.connectionMs,
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.socketMs,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    async send(mail) {
      const info = (await transporter.sendMail({
        messageId: mail.messageId,
        from: mail.from,
        to: mail.to,
        cc: mail.cc,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
      })) as { response?: string; rejected?: Array<string | { address: string }> };
      return { response: String(info.response ?? ''), rejected: (info.rejected ?? []).map((r) => (typeof r === 'string' ? r : r.address)) };
    },
    close: () => transporter.close(),
  };
}

/**
 * The mail server refused this message or its recipient for good (a 5xx reply to the envelope or
 * the message, e.g. 550 "no such user"): sending it again would be refused again. A refused login
 * or any connection trouble is ours to fix or to wait out, so it is retried.
 */
export function isPermanentRefusal(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, responseCode, permanent } = error as { code?: unknown; responseCode?: unknown; permanent?: unknown };
  if (code !== 'EENVELOPE' && code !== 'EMESSAGE') return false;
  if (typeof permanent === 'boolean') return permanent;
  return typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600 && responseCode !== 503;
}
