import { useEffect, useRef, type ReactNode } from 'react';
import { usePageTitle } from '../router.tsx';

/**
 * A whole-page outcome (a result, or a link that cannot be used): what happened in one heading, the
 * server's own explanation, and the ways forward. When it replaces a page after a button press,
 * `takeFocus` moves focus to the heading so a screen reader announces the new situation.
 */
export function OutcomeView({
  eyebrow,
  title,
  message,
  tone = 'error',
  takeFocus = false,
  children,
}: {
  eyebrow?: string;
  title: string;
  message?: string;
  tone?: 'error' | 'info' | 'success';
  takeFocus?: boolean;
  children: ReactNode;
}) {
  usePageTitle(title);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (takeFocus) headingRef.current?.focus();
  }, [takeFocus]);
  return (
    <div className={`outcome outcome--${tone}`}>
      <div className="outcome__icon" aria-hidden="true">
        {tone === 'error' ? '!' : tone === 'success' ? '✓' : 'i'}
      </div>
      <div className="outcome__body">
        {eyebrow ? <p className="eyebrow">{eyebrow}</p> : null}
        <h1 ref={headingRef} tabIndex={-1}>
          {title}
        </h1>
        {message ? <p className="lead">{message}</p> : null}
        <div className="outcome__actions">{children}</div>
      </div>
    </div>
  );
}
