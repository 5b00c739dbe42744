import { createContext, useContext } from 'react';
import { navigate, usePageTitle } from '../router.tsx';
import type { OperatorSessionView } from './consoleApi.ts';
import type { SignInNote } from './fns.ts';

// The signed-in operator, shared by the console pages, and the way back to sign-in.

export interface ConsoleSession {
  session: OperatorSessionView;
  /** Replaces the session view (after sign-in). */
  setSession: (session: OperatorSessionView | undefined) => void;
}

export const SessionContext = createContext<ConsoleSession | undefined>(undefined);

export function useConsoleSession(): ConsoleSession {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useConsoleSession outside a signed-in console page');
  return value;
}

export function goToSignIn(note?: SignInNote) {
  const here = location.pathname + location.search;
  const params = new URLSearchParams();
  if (note) params.set('note', note);
  // After an ended session or a first visit without one, sign-in leads back to the page.
  if ((note === undefined || note === 'expired') && here !== '/console' && !here.startsWith('/console/sign-in')) params.set('next', here);
  const search = params.toString();
  navigate(`/console/sign-in${search ? `?${search}` : ''}`, { replace: true });
}


/** The page title, marked as the console's so its tabs stand apart from the partner pages. */
export function useConsoleTitle(title: string): void {
  usePageTitle(`${title} – Operator console`);
}
