import { useEffect, useState } from 'react';
import { api, asApiError, type ApiError, type MailDetail, type MailSummary } from '../api.ts';
import { ApiErrorNotice, Notice } from '../components/Notice.tsx';
import { usePageTitle } from '../router.tsx';

// The demo's inbox: every email sent in the demo (read from the outbox, so it survives a restart),
// newest first, refreshed every few seconds. Each email's HTML is shown in a sandboxed frame served
// with its own strict CSP. An email sent before this start shows its one-time link as removed.

const REFRESH_MS = 3000;
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function DevMailPage() {
  usePageTitle('Demo inbox');
  const [messages, setMessages] = useState<MailSummary[]>();
  const [loadError, setLoadError] = useState<ApiError>();
  const [selectedId, setSelectedId] = useState<string>();

  useEffect(() => {
    let stopped = false;
    async function refresh() {
      if (document.hidden) return;
      try {
        const { messages: latest } = await api.demoMail();
        if (stopped) return;
        setMessages(latest);
        setLoadError(undefined);
      } catch (error) {
        if (!stopped) setLoadError(asApiError(error));
      }
    }
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);

  const selected = messages?.find((message) => message.id === selectedId) ?? messages?.[0];

  return (
    <div className="stack">
      <div className="page-intro">
        <h1>Demo inbox</h1>
        <Notice tone="warning" title="Only in the demo" live={false}>
          <p>
            This inbox exists only when TotalOne Signup runs in its embedded demo mode: it shows every email sent in the demo, whoever it was
            addressed to. In production, emails go to real mailboxes and this page is not available.
          </p>
          <p>
            Emails sent before the demo was last started are shown without their one-time link: TotalOne keeps a link&apos;s secret only sealed until
            the email is sent, then erases it, so nobody can read it from the database later. Such an email says how to get a new link.
          </p>
        </Notice>
      </div>
      {loadError ? (
        <ApiErrorNotice
          error={loadError}
          title={loadError.status === 404 ? 'The demo inbox is not running' : 'The inbox could not be refreshed'}
        />
      ) : null}
      <div className="mailbox">
        <section className="mailbox__list card" aria-labelledby="inbox-heading">
          <h2 id="inbox-heading" className="mailbox__heading">
            Messages <span className="muted">{messages ? `(${messages.length})` : ''}</span>
          </h2>
          <p className="visually-hidden" role="status">
            {messages ? `${messages.length} message${messages.length === 1 ? '' : 's'} in the inbox` : 'Loading the inbox'}
          </p>
          {messages === undefined ? <p className="muted">Loading…</p> : null}
          {messages?.length === 0 ? <p className="muted">No emails yet. Submit a signup and the confirmation email shows up here within seconds.</p> : null}
          <ul className="mail-list">
            {messages?.map((message) => (
              <li key={message.id}>
                <button
                  type="button"
                  className="mail-list__item"
                  aria-current={message.id === selected?.id ? 'true' : undefined}
                  onClick={() => setSelectedId(message.id)}
                >
                  <span className="mail-list__subject">{message.subject || '(no subject)'}</span>
                  <span className="mail-list__meta">
                    To {message.to.join(', ')} · <time dateTime={message.receivedAt}>{timeFormat.format(new Date(message.receivedAt))}</time>
                    {message.linkRemoved ? ' · link removed' : ''}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </section>
        <section className="mailbox__reader card" aria-labelledby="reader-heading">
          {selected ? <Reader key={selected.id} message={selected} /> : <h2 id="reader-heading">No message selected</h2>}
        </section>
      </div>
    </div>
  );
}

function Reader({ message }: { message: MailSummary }) {
  const [plainText, setPlainText] = useState(false);
  const [detail, setDetail] = useState<MailDetail>();
  const [error, setError] = useState<ApiError>();

  useEffect(() => {
    if (!plainText || detail) return;
    api.demoMailMessage(message.id).then(setDetail, (failure: unknown) => setError(asApiError(failure)));
  }, [plainText, detail, message.id]);

  return (
    <>
      <div className="reader__header">
        <h2 id="reader-heading" className="reader__subject">
          {message.subject || '(no subject)'}
        </h2>
        <dl className="reader__meta">
          <div>
            <dt>From</dt>
            <dd>{message.from}</dd>
          </div>
          <div>
            <dt>To</dt>
            <dd>{[...message.to, ...message.cc].join(', ')}</dd>
          </div>
          <div>
            <dt>Received</dt>
            <dd>
              <time dateTime={message.receivedAt}>{new Date(message.receivedAt).toLocaleString()}</time>
            </dd>
          </div>
        </dl>
        <button type="button" className="button button--secondary button--small" aria-pressed={plainText} onClick={() => setPlainText((value) => !value)}>
          Show plain text
        </button>
      </div>
      {message.linkRemoved ? (
        <Notice tone="info" title="Sent before this start of the demo: the link is removed" live={false}>
          <p>
            The one-time secret of its link was erased once the email was sent. {message.linkRemoved.newLink}
          </p>
          {message.linkRemoved.href ? (
            <p>
              <a className="button button--secondary button--small" href={message.linkRemoved.href}>
                {message.linkRemoved.href.startsWith('/help') ? 'Get a new link' : 'Open the status page'}
              </a>
            </p>
          ) : null}
          {message.linkRemoved.command ? <pre className="reader__command">{message.linkRemoved.command}</pre> : null}
        </Notice>
      ) : null}
      {plainText ? (
        error ? (
          <ApiErrorNotice error={error} />
        ) : (
          <pre className="reader__text">{detail ? detail.text : 'Loading…'}</pre>
        )
      ) : (
        <iframe
          className="reader__frame"
          sandbox="allow-top-navigation-by-user-activation allow-popups"
          src={`/dev/mail/${encodeURIComponent(message.id)}/html`}
          title={`Email: ${message.subject || '(no subject)'}`}
        />
      )}
    </>
  );
}
