import { lazy, Suspense, type ComponentType } from 'react';
import { Layout } from './components/Layout.tsx';
import { NotFoundPage } from './pages/NotFoundPage.tsx';
import { usePageKey, usePathname } from './router.tsx';

// Every page is a chunk of its own: a first visit loads the frame and its one page. Forms load
// their checks (zod, the contracts' schemas, the phone metadata) when first used.
const LandingPage = lazy(() => import('./pages/LandingPage.tsx').then((m) => ({ default: m.LandingPage })));
const VerifyPage = lazy(() => import('./pages/VerifyPage.tsx').then((m) => ({ default: m.VerifyPage })));
const SignupLinkPage = lazy(() => import('./pages/SignupLinkPage.tsx').then((m) => ({ default: m.SignupLinkPage })));
const SignupPage = lazy(() => import('./pages/SignupPage.tsx').then((m) => ({ default: m.SignupPage })));
const HelpPage = lazy(() => import('./pages/HelpPage.tsx').then((m) => ({ default: m.HelpPage })));
const SupportPage = lazy(() => import('./pages/SupportPage.tsx').then((m) => ({ default: m.SupportPage })));
const ConnectPage = lazy(() => import('./pages/connect/ConnectPage.tsx').then((m) => ({ default: m.ConnectPage })));
const StatusPage = lazy(() => import('./pages/status/StatusPage.tsx').then((m) => ({ default: m.StatusPage })));
const OffboardPage = lazy(() => import('./pages/status/OffboardPage.tsx').then((m) => ({ default: m.OffboardPage })));
const CredentialsPage = lazy(() => import('./pages/credentials/CredentialsPage.tsx').then((m) => ({ default: m.CredentialsPage })));
const TenantPage = lazy(() => import('./pages/status/TenantPage.tsx').then((m) => ({ default: m.TenantPage })));
const ChecklistPage = lazy(() => import('./pages/ChecklistPage.tsx').then((m) => ({ default: m.ChecklistPage })));
const DevMailPage = lazy(() => import('./pages/DevMailPage.tsx').then((m) => ({ default: m.DevMailPage })));
// The operator console (/console/*) has its own frame and pages, all in chunks of their own.
const ConsoleApp = lazy(() => import('./console/ConsoleApp.tsx'));

// The page paths the server answers with index.html (server/app/http.ts keeps the same list).
const pages: Record<string, ComponentType> = {
  '/': LandingPage,
  '/signup': SignupPage,
  '/verify': VerifyPage,
  '/signup-link': SignupLinkPage,
  '/connect': ConnectPage,
  '/status': StatusPage,
  '/tenant': TenantPage,
  '/offboard': OffboardPage,
  '/credentials': CredentialsPage,
  '/help': HelpPage,
  '/support': SupportPage,
  '/checklist': ChecklistPage,
  '/dev/mail': DevMailPage,
};

export function App() {
  const pathname = usePathname();
  const pageKey = usePageKey();
  if (pathname === '/console' || pathname.startsWith('/console/')) {
    return (
      <Suspense fallback={<PageLoading />}>
        <ConsoleApp pathname={pathname} />
      </Suspense>
    );
  }
  const Page = pages[pathname] ?? NotFoundPage;
  // The key gives every page a fresh state when the path changes (links, back, forward) or a new
  // link token arrives.
  return (
    <Layout pathname={pathname}>
      <Suspense fallback={<PageLoading />}>
        <Page key={pageKey} />
      </Suspense>
    </Layout>
  );
}

function PageLoading() {
  return (
    <p role="status" className="loading">
      Loading the page…
    </p>
  );
}
