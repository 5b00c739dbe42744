import { useRef, type ReactNode } from 'react';
import { Link } from '../router.tsx';

// The frame of every page: skip link, header, one main landmark, footer. (After an in-app page
// change, usePageTitle moves focus to the new page's heading.)

export function Layout({ pathname, children }: { pathname: string; children: ReactNode }) {
  const mainRef = useRef<HTMLElement>(null);

  return (
    <div className="page">
      <a
        className="skip-link"
        href="#main"
        onClick={(event) => {
          // Focus the main content without putting #main into the address and history.
          event.preventDefault();
          mainRef.current?.focus();
        }}
      >
        Skip to main content
      </a>
      <header className="site-header">
        <div className="container site-header__inner">
          <Link to="/" className="brand" aria-label="TotalOne Signup, home">
            <span className="brand__mark" aria-hidden="true">
              T1
            </span>
            <span className="brand__name">TotalOne</span>
            <span className="brand__product">Signup</span>
          </Link>
          <nav aria-label="Main" className="site-nav">
            <Link to="/help" aria-current={pathname === '/help' ? 'page' : undefined}>
              Help
            </Link>
            <Link to="/support" aria-current={pathname === '/support' ? 'page' : undefined}>
              Contact support
            </Link>
          </nav>
        </div>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1} className="site-main">
        <div className="container">{children}</div>
      </main>
      <footer className="site-footer">
        <div className="container site-footer__inner">
          <p>TotalOne connects Microsoft CSP partners to the TotalOne platform.</p>
          <nav aria-label="Footer">
            <ul className="inline-list">
              <li>
                <Link to="/help">Resend an email</Link>
              </li>
              <li>
                <Link to="/support">Contact support</Link>
              </li>
              <li>
                <a href="/docs">API reference</a>
              </li>
            </ul>
          </nav>
        </div>
      </footer>
    </div>
  );
}
