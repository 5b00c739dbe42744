import { lazy, Suspense, useCallback, useEffect, useRef, useState, type ComponentType, type ReactNode } from 'react';
import { asApiError, type ApiError } from '../api.ts';
import { Link, usePageKey } from '../router.tsx';
import { consoleApi, lastApiCallAt, onSessionLost, type OperatorSessionView } from './consoleApi.ts';
import { goToSignIn, SessionContext } from './session.ts';
import { Loading } from './ui.tsx';
import './console.css';

// The operator console (/console/*): its own frame (operator, role, sign-out), its own pages, one
// lazily loaded chunk group. The invitation and sign-in pages need no session; every other page
// waits for GET /api/console/session and sends the browser to sign-in when there is none, or when
// the session ends while the page is open (idle or absolute timeout, signed out elsewhere).

const InvitePage = lazy(() => import('./InvitePage.tsx').then((m) => ({ default: m.InvitePage })));
const SignInPage = lazy(() => import('./SignInPage.tsx').then((m) => ({ default: m.SignInPage })));
const OverviewPage = lazy(() => import('./OverviewPage.tsx').then((m) => ({ default: m.OverviewPage })));
const PartnersPage = lazy(() => import('./PartnersPage.tsx').then((m) => ({ default: m.PartnersPage })));
const PartnerPage = lazy(() => import('./PartnerPage.tsx').then((m) => ({ default: m.PartnerPage })));
const SupportInboxPage = lazy(() => import('./SupportPages.tsx').then((m) => ({ default: m.SupportInboxPage })));
const SupportRequestPage = lazy(() => import('./SupportPages.tsx').then((m) => ({ default: m.SupportRequestPage })));
const AuditPage = lazy(() => import('./AuditPage.tsx').then((m) => ({ default: m.AuditPage })));
const OperatorsPage = lazy(() => import('./OperatorsPage.tsx').then((m) => ({ default: m.OperatorsPage })));

interface Route {
  page: ComponentType<{ id?: string }>;
  id?: string;
  adminOnly?: boolean;
  section: string;
}

function route(pathname: string): Route | undefined {
  const parts = pathname.split('/').filter(Boolean).slice(1);
  const [first, second, ...rest] = parts;
  if (rest.length > 0) return undefined;
  if (first === undefined) return { page: OverviewPage, section: 'overview' };
  if (first === 'partners') return second ? { page: PartnerPage, id: second, section: 'partners' } : { page: PartnersPage, section: 'partners' };
  if (first === 'support') return second ? { page: SupportRequestPage, id: second, section: 'support' } : { page: SupportInboxPage, section: 'support' };
  if (first === 'audit' && !second) return { page: AuditPage, section: 'audit' };
  if (first === 'operators' && !second) return { page: OperatorsPage, adminOnly: true, section: 'operators' };
  return undefined;
}

export default function ConsoleApp({ pathname }: { pathname: string }) {
  const pageKey = usePageKey();
  if (pathname === '/console/invite' || pathname === '/console/sign-in') {
    const Page = pathname === '/console/invite' ? InvitePage : SignInPage;
    return (
      <ConsoleFrame>
        <Suspense fallback={<Loading what="the page" />}>
          <Page key={pageKey} />
        </Suspense>
      </ConsoleFrame>
    );
  }
  return <SignedInConsole pathname={pathname} pageKey={pageKey} />;
}

function SignedInConsole({ pathname, pageKey }: { pathname: string; pageKey: string }) {
  const [session, setSession] = useState<OperatorSessionView>();
  const [failure, setFailure] = useState<ApiError>();

  useEffect(() => {
    let current = true;
    consoleApi.session().then(
      (value) => current && setSession(value),
      (error: unknown) => {
        if (!current) return;
        const problem = asApiError(error);
        if (problem.code === 'CONSOLE_SESSION_REQUIRED') goToSignIn();
        else setFailure(problem);
      },
    );
    return () => {
      current = false;
    };
  }, []);

  // Any call that finds the session gone sends the operator to sign-in, with a message.
  const signedIn = useRef(false);
  signedIn.current = session !== undefined;
  useEffect(
    () =>
      onSessionLost(() => {
        if (signedIn.current) goToSignIn('expired');
      }),
    [],
  );

  // An open page left alone: once the idle limit has passed since this tab's last call (or the
  // absolute limit is reached), ask the server whether the session still stands.
  useEffect(() => {
    if (!session) return;
    const idleMs = new Date(session.idleExpiresAt).getTime() - new Date(session.signedInAt).getTime();
    const idleLimit = Number.isFinite(idleMs) && idleMs > 0 ? Math.min(idleMs, 30 * 60_000) : 30 * 60_000;
    const timer = window.setInterval(() => {
      const absoluteEnd = new Date(session.expiresAt).getTime();
      if (Date.now() - lastApiCallAt() > idleLimit + 5_000 || Date.now() > absoluteEnd) {
        consoleApi.session().catch(() => undefined);
      }
    }, 30_000);
    return () => window.clearInterval(timer);
  }, [session]);

  const setSessionValue = useCallback((value: OperatorSessionView | undefined) => setSession(value), []);

  if (failure) {
    return (
      <ConsoleFrame>
        <div className="narrow">
          <h1>The console could not start</h1>
          <p>{failure.message}</p>
          <button type="button" className="button button--primary" onClick={() => location.reload()}>
            Reload
          </button>
        </div>
      </ConsoleFrame>
    );
  }
  if (!session) {
    return (
      <ConsoleFrame>
        <Loading what="the console" />
      </ConsoleFrame>
    );
  }

  const found = route(pathname);
  const Page = found?.page;
  return (
    <SessionContext.Provider value={{ session, setSession: setSessionValue }}>
      <ConsoleFrame session={session} section={found?.section}>
        <Suspense fallback={<Loading what="the page" />}>
          {!found || !Page ? <ConsoleNotFound /> : found.adminOnly && session.operator.role !== 'admin' ? <AdminOnly /> : <Page key={pageKey} id={found.id} />}
        </Suspense>
      </ConsoleFrame>
    </SessionContext.Provider>
  );
}

const sections = [
  { id: 'overview', to: '/console', label: 'Overview' },
  { id: 'partners', to: '/console/partners', label: 'Signups' },
  { id: 'support', to: '/console/support', label: 'Support' },
  { id: 'audit', to: '/console/audit', label: 'Audit log' },
  { id: 'operators', to: '/console/operators', label: 'Operators', adminOnly: true },
];

function ConsoleFrame({ session, section, children }: { session?: OperatorSessionView; section?: string | undefined; children: ReactNode }) {
  const mainRef = useRef<HTMLElement>(null);
  return (
    <div className="page console">
      <a
        className="skip-link"
        href="#main"
        onClick={(event) => {
          event.preventDefault();
          mainRef.current?.focus();
        }}
      >
        Skip to main content
      </a>
      <header className="console-header">
        <div className="console-header__inner">
          <Link to={session ? '/console' : '/console/sign-in'} className="brand brand--console" aria-label="TotalOne operator console, overview">
            <span className="brand__mark" aria-hidden="true">
              T1
            </span>
            <span className="brand__name">TotalOne</span>
            <span className="brand__product">Operator console</span>
          </Link>
          {session ? <SessionMenu session={session} /> : null}
        </div>
        {session ? (
          <nav aria-label="Console" className="console-nav">
            <ul>
              {sections
                .filter((s) => !s.adminOnly || session.operator.role === 'admin')
                .map((s) => (
                  <li key={s.id}>
                    <Link to={s.to} aria-current={section === s.id ? 'page' : undefined}>
                      {s.label}
                    </Link>
                  </li>
                ))}
            </ul>
          </nav>
        ) : null}
      </header>
      <main id="main" ref={mainRef} tabIndex={-1} className="console-main">
        {children}
      </main>
    </div>
  );
}

function SessionMenu({ session }: { session: OperatorSessionView }) {
  const [busy, setBusy] = useState<'one' | 'all'>();
  const [error, setError] = useState<string>();
  async function signOut(everywhere: boolean) {
    setBusy(everywhere ? 'all' : 'one');
    setError(undefined);
    try {
      if (everywhere) await consoleApi.signOutEverywhere();
      else await consoleApi.signOut();
      goToSignIn(everywhere ? 'signed-out-everywhere' : 'signed-out');
    } catch (failure) {
      const problem = asApiError(failure);
      if (problem.code !== 'CONSOLE_SESSION_REQUIRED') setError(problem.message);
      setBusy(undefined);
    }
  }
  return (
    <div className="session-menu">
      <p className="session-menu__who">
        <span className="session-menu__email">{session.operator.email}</span>
        <span className={`role-badge role-badge--${session.operator.role}`}>{session.operator.role === 'admin' ? 'Admin' : 'Support'}</span>
      </p>
      <div className="session-menu__actions">
        <button type="button" className="button button--secondary button--small" disabled={busy !== undefined} onClick={() => signOut(false)}>
          {busy === 'one' ? 'Signing out…' : 'Sign out'}
        </button>
        <button type="button" className="button button--ghost button--small" disabled={busy !== undefined} onClick={() => signOut(true)}>
          {busy === 'all' ? 'Signing out…' : 'Sign out everywhere'}
        </button>
      </div>
      {error ? (
        <p role="alert" className="session-menu__error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

function ConsoleNotFound() {
  return (
    <div className="narrow">
      <h1>No such console page</h1>
      <p>
        The address does not match a console page. Go to the <Link to="/console">overview</Link>.
      </p>
    </div>
  );
}

function AdminOnly() {
  return (
    <div className="narrow">
      <h1>Administrators only</h1>
      <p>Managing operators needs the admin role. Ask an administrator if you need an operator added, changed or disabled.</p>
    </div>
  );
}
