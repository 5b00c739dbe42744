import { useEffect, useRef, useState } from 'react';

// The reply address of the Microsoft sign-in: where Microsoft sends the browser back. It must be
// registered on the Partner Center web app as a Web redirect URI, exactly; the server checks that
// before the sign-in starts and answers a gap here, like a field error.

export const REPLY_ADDRESS_FIELD = 'field-replyAddress';

export function ReplyAddress({ address, error, focusOnError = false }: { address: string; error?: string | undefined; focusOnError?: boolean }) {
  const [copied, setCopied] = useState<'copied' | 'select' | undefined>();
  const inputRef = useRef<HTMLInputElement>(null);
  const frameRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (error && focusOnError) {
      frameRef.current?.focus({ preventScroll: true });
      frameRef.current?.scrollIntoView({ block: 'start' });
    }
  }, [error, focusOnError]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(address);
      setCopied('copied');
    } catch {
      // No clipboard access (an older browser, or permission refused): select it for Ctrl+C.
      inputRef.current?.select();
      setCopied('select');
    }
  }

  const describedBy = [`${REPLY_ADDRESS_FIELD}-hint`, error ? `${REPLY_ADDRESS_FIELD}-error` : ''].filter(Boolean).join(' ');
  return (
    <div ref={frameRef} tabIndex={-1} className={`reply-address field focus-target${error ? ' field--invalid' : ''}`}>
      <label className="field__label" htmlFor={REPLY_ADDRESS_FIELD}>
        Reply address
      </label>
      <p className="field__hint" id={`${REPLY_ADDRESS_FIELD}-hint`}>
        Register it on your <strong>Partner Center web app</strong>: Entra admin center &gt; App registrations &gt; All applications &gt; the
        Partner Center web app &gt; Authentication &gt; Add a platform &gt; <strong>Web</strong>, under Redirect URIs, exactly as shown. Microsoft
        sends you back to TotalOne only to an address registered there.
      </p>
      {error ? (
        <p className="field__error" id={`${REPLY_ADDRESS_FIELD}-error`}>
          <span className="visually-hidden">Error: </span>
          {error}
        </p>
      ) : null}
      <div className="input-group">
        <input
          ref={inputRef}
          id={REPLY_ADDRESS_FIELD}
          className="input input--mono"
          readOnly
          value={address}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          spellCheck={false}
          onFocus={(event) => event.currentTarget.select()}
        />
        <button type="button" className="button button--secondary input-group__button" onClick={() => void copy()}>
          Copy<span className="visually-hidden"> the reply address</span>
        </button>
      </div>
      <p role="status" className="reply-address__copied">
        {copied === 'copied' ? 'Copied.' : copied === 'select' ? 'Selected: press Ctrl+C (or Cmd+C) to copy it.' : ''}
      </p>
    </div>
  );
}
