import { useEffect, useState } from 'react';

// Links in our emails carry their token in the URL fragment (`/verify#token=...`), which browsers
// never send to a server. We read it once, keep it in memory only, and take it out of the address
// bar at once so it does not linger in history, bookmarks or screen shares.

/**
 * The shape of `linkToken` in contracts/common.ts (256 bits in base64url), repeated as a plain
 * pattern so these pages need not load zod; the server checks the token with the schema itself.
 */
const LINK_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export type LinkTokenRead =
  | { kind: 'present'; token: string }
  | { kind: 'damaged'; message: string }
  | { kind: 'missing' };

export function readLinkTokenFromHash(hash: string): LinkTokenRead {
  const value = new URLSearchParams(hash.replace(/^#/, '')).get('token');
  if (value === null || value === '') return { kind: 'missing' };
  if (!LINK_TOKEN.test(value)) return { kind: 'damaged', message: 'This link is incomplete or damaged. Copy the whole link from the email, or request a new one.' };
  return { kind: 'present', token: value };
}

/**
 * The link token of the current page, read once from the fragment; the fragment is then replaced
 * out of the address bar (the initial read is pure, so a double render cannot lose the token).
 */
export function useLinkToken(): LinkTokenRead {
  const [read] = useState(() => readLinkTokenFromHash(location.hash));
  useEffect(() => {
    if (location.hash) history.replaceState(history.state, '', location.pathname + location.search);
  }, []);
  return read;
}
