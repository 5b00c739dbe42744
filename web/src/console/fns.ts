// Pure helpers of the console pages (tested beside, in fns.test.ts).

/** Sign-in messages handed from the page that ended the session to the sign-in page. */
const signInNotes = { expired: 'Your session has ended (30 minutes without activity, 12 hours after sign-in, or signed out elsewhere). Sign in again to continue.', 'signed-out': 'You are signed out.', 'signed-out-everywhere': 'You are signed out on every device.' } as const;
export type SignInNote = keyof typeof signInNotes;
export const signInNoteText = (note: string | null): string | undefined => (note && Object.hasOwn(signInNotes, note) ? signInNotes[note as SignInNote] : undefined);

/** Where sign-in sends the operator afterwards: only console pages, never another site. */
export function safeNext(next: string | null): string {
  return next && /^\/console(\/[A-Za-z0-9/_-]*)?(\?[^#]*)?$/.test(next) && !next.startsWith('/console/sign-in') && !next.startsWith('/console/invite') ? next : '/console';
}

/** "JBSW Y3DP EHPK 3PXP": the secret in groups of four, easier to type by hand. */
export function groupSecret(secret: string): string {
  return secret.replace(/\s+/g, '').replace(/(.{4})(?=.)/g, '$1 ');
}

