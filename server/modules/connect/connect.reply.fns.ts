// The reply address (redirect URI) of the Microsoft sign-in, and whether the Partner Center web app
// has it registered. Microsoft sends the browser back only to an address registered on the app as
// a Web redirect URI; otherwise it shows AADSTS50011 on its own page and never comes back.
//
// Matching follows "Redirect URI (reply URL) restrictions and limitations"
// (https://learn.microsoft.com/en-us/entra/identity-platform/reply-url): exact, with the path
// case-sensitive; for http loopback addresses (localhost, 127.0.0.1) the port is ignored.

export const REPLY_PATH = '/api/connect/microsoft/callback';

export function replyAddressOf(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${REPLY_PATH}`;
}

/** The redirect URIs of an app registration, by platform (Graph `web`, `spa`, `publicClient`). */
export interface AppRedirectUris {
  web: string[];
  spa: string[];
  publicClient: string[];
}

export type ReplyAddressFinding =
  | { registered: true }
  /** Registered, but for another platform: the code then cannot be redeemed by a web app. */
  | { registered: false; reason: 'other_platform'; platform: 'spa' | 'publicClient' }
  /** A registered Web address differs only in case or a trailing slash: Microsoft compares exactly. */
  | { registered: false; reason: 'near_miss'; registeredAs: string }
  | { registered: false; reason: 'missing' };

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function parse(uri: string): URL | undefined {
  try {
    return new URL(uri);
  } catch {
    return undefined;
  }
}

/** Whether Microsoft would accept `wanted` for a registered address `registered`. */
export function sameReplyAddress(registered: string, wanted: string): boolean {
  if (registered === wanted) return true;
  const r = parse(registered);
  const w = parse(wanted);
  if (!r || !w) return false;
  // Scheme and host are case-insensitive by URL rules (URL normalises them); the path is not.
  const sameButPort = r.protocol === w.protocol && r.hostname === w.hostname && r.pathname === w.pathname && r.search === w.search;
  if (!sameButPort) return false;
  if (r.port === w.port) return true;
  return r.protocol === 'http:' && LOOPBACK_HOSTS.has(r.hostname);
}

function loosely(uri: string): string {
  return uri.toLowerCase().replace(/\/+$/, '');
}

export function findReplyAddress(app: AppRedirectUris, wanted: string): ReplyAddressFinding {
  if (app.web.some((uri) => sameReplyAddress(uri, wanted))) return { registered: true };
  const near = app.web.find((uri) => loosely(uri) === loosely(wanted));
  if (near) return { registered: false, reason: 'near_miss', registeredAs: near };
  if (app.spa.some((uri) => sameReplyAddress(uri, wanted))) return { registered: false, reason: 'other_platform', platform: 'spa' };
  if (app.publicClient.some((uri) => sameReplyAddress(uri, wanted))) return { registered: false, reason: 'other_platform', platform: 'publicClient' };
  return { registered: false, reason: 'missing' };
}

/** Where the reply address goes, in the words of the Entra admin center. */
export const REPLY_ADDRESS_PLACE =
  'Entra admin center > App registrations > All applications > your Partner Center web app > Authentication > Add a platform > Web, under Redirect URIs';

/** What the partner must do, for the field the wizard shows the reply address in. */
export function replyAddressFix(finding: Exclude<ReplyAddressFinding, { registered: true }>, replyAddress: string, app: { displayName?: string; appId: string }): string {
  const name = app.displayName ? `"${app.displayName}" (App ID ${app.appId})` : `with App ID ${app.appId}`;
  const where =
    `Add it in the Entra admin center: App registrations > All applications > the app ${name} > Authentication > Web (Add a platform > Web if there is none) > Redirect URIs, exactly as shown, and save. ` +
    'Then press "Sign in with Microsoft" again.';
  switch (finding.reason) {
    case 'near_miss':
      return `Your Partner Center web app has ${finding.registeredAs} registered, which differs from ${replyAddress} in upper/lower case or a trailing slash; Microsoft compares reply addresses exactly. ${where}`;
    case 'other_platform':
      return `${replyAddress} is registered on your Partner Center web app as a ${finding.platform === 'spa' ? 'Single-page application' : 'Mobile and desktop'} address, but TotalOne signs in as a web app, so it must be under Web. ${where}`;
    case 'missing':
      return `${replyAddress} is not registered on your Partner Center web app, so Microsoft would stop the sign-in on its own page (error AADSTS50011) instead of sending you back. ${where}`;
  }
}
