import { createContext, useContext } from 'react';
import { navigate } from '../router.tsx';
import type { OperatorSessionView } from './consoleApi.ts';

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

/** Sign-in messages handed from the page that ended the session to the sign-in page. */
const signInNotes = { expired: 'Your session has ended (30 minutes without activity, 12 hours after sign-in, or signed out elsewhere). Sign in again to continue.', 'signed-out': 'You are signed out.', 'signed-out-everywhere': 'You are signed out on every device.' } as const;
export type SignInNote = keyof typeof signInNotes;
export const signInNoteText = (note: string | null): string | undefined => (note && note in signInNotes ? signInNotes[note as SignInNote] : undefined);

/** Where sign-in sends the operator afterwards: only console pages, never another site. */
export function safeNext(next: string | null): string {
  return next && /^\/console(\/[A-Za-z0-9/_-]*)?(\?[^#]*)?$/.test(next) && !next.startsWith('/console/sign-in') && !next.startsWith('/console/invite') ? next : '/console';
}

export function goToSignIn(note?: SignInNote) {
  const here = location.pathname + location.search;
  const params = new URLSearchParams();
  if (note) params.set('note', note);
  if (note === 'expired' && here !== '/console') params.set('next', here);
  const search = params.toString();
  navigate(`/console/sign-in${search ? `?${search}` : ''}`, { replace: true });
}

