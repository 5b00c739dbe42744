import { request } from 'undici';

// Walks the emulator's sign-in pages over HTTP (undici's request(), lighter than fetch() and, like
// a browser here, not following redirects by itself), the way a person would with a browser, for
// integration tests that need an authorization code without starting Chromium.

export interface SignInOptions {
  authorizeUrl: string;
  username: string;
  password: string;
  /** Returns the current TOTP code (e.g. () => emulator.totp()). */
  totp?: () => string;
  /** For push-style MFA: approve (default) or deny. */
  approve?: boolean;
  consent?: 'accept' | 'accept-for-organization' | 'cancel';
  /** Session cookie from an earlier sign-in (to test SSO and prompt=login). */
  cookie?: string;
}

export interface SignInOutcome {
  /** Where the emulator finally sent the browser (the app's redirect URI), if it did. */
  redirectUrl?: URL;
  /** Fields the app receives (query, fragment or form_post). */
  params: Record<string, string>;
  code?: string;
  error?: string;
  errorDescription?: string;
  /** The message shown on an emulator page when the flow stopped there (bad password, error page). */
  pageError?: string;
  /** Titles of the pages seen, in order (e.g. ["Sign in to your account", "Verify your identity"]). */
  pages: string[];
  cookie?: string;
}

function decode(value: string): string {
  return value.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[decode(m[1]!)] = decode(m[2]!);
  return fields;
}

function outcomeFrom(url: URL, pages: string[], cookie?: string): SignInOutcome {
  const params = Object.fromEntries(url.hash ? new URLSearchParams(url.hash.slice(1)) : url.searchParams);
  return {
    redirectUrl: url, params, pages,
    ...(params.code ? { code: params.code } : {}),
    ...(params.error ? { error: params.error } : {}),
    ...(params.error_description ? { errorDescription: params.error_description } : {}),
    ...(cookie ? { cookie } : {}),
  };
}

/** One page of the walk: its status, a header by name, and its HTML. */
async function page(url: string | URL, init: { method?: 'GET' | 'POST'; headers: Record<string, string>; body?: string }) {
  const response = await request(url, init);
  const header = (name: string) => {
    const value = response.headers[name];
    return value === undefined ? null : Array.isArray(value) ? value[0]! : value;
  };
  return { status: response.statusCode, header, text: () => response.body.text(), discard: () => response.body.dump() };
}

export async function completeSignIn(options: SignInOptions): Promise<SignInOutcome> {
  const pages: string[] = [];
  let cookie = options.cookie;
  let response = await page(options.authorizeUrl, { headers: cookie ? { cookie } : {} });
  let credentialsSent = false;
  let codeSent = false;
  for (let step = 0; step < 10; step++) {
    const setCookie = response.header('set-cookie');
    if (setCookie) cookie = setCookie.split(';')[0];
    if (response.status === 302) {
      await response.discard();
      return outcomeFrom(new URL(response.header('location')!), pages, cookie);
    }
    const html = await response.text();
    const title = /<title>([^<]*)<\/title>/.exec(html)?.[1] ?? '';
    pages.push(decode(title));
    const alert = /role="alert"[^>]*>([^<]*)</.exec(html)?.[1];
    const formPost = /<form method="post" name="hiddenform" action="([^"]+)">/.exec(html);
    if (formPost) {
      const url = new URL(decode(formPost[1]!));
      for (const [k, v] of Object.entries(hiddenFields(html))) url.searchParams.set(k, v);
      return outcomeFrom(url, pages, cookie);
    }
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    if (!action) return { params: {}, pages, ...(alert ? { pageError: decode(alert) } : {}), ...(cookie ? { cookie } : {}) };
    const target = new URL(decode(action), options.authorizeUrl);
    const fields = hiddenFields(html);
    if (html.includes('name="loginfmt"')) {
      if (credentialsSent && alert) return { params: {}, pages, pageError: decode(alert), ...(cookie ? { cookie } : {}) };
      Object.assign(fields, { loginfmt: options.username, passwd: options.password });
      credentialsSent = true;
    } else if (html.includes('name="otc"')) {
      if (codeSent && alert) return { params: {}, pages, pageError: decode(alert), ...(cookie ? { cookie } : {}) };
      if (!options.totp) throw new Error('The sign-in asks for a TOTP code: pass options.totp');
      Object.assign(fields, { otc: options.totp(), action: 'verify' });
      codeSent = true;
    } else if (html.includes('value="approve"')) {
      fields.action = options.approve === false ? 'deny' : 'approve';
    } else if (html.includes('value="accept"')) {
      const consent = options.consent ?? 'accept';
      fields.action = consent === 'cancel' ? 'cancel' : 'accept';
      if (consent === 'accept-for-organization') fields.consent_org = 'on';
    }
    response = await page(target, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
      body: new URLSearchParams(fields).toString(),
    });
  }
  throw new Error(`The sign-in did not finish after 10 pages: ${pages.join(' > ')}`);
}
