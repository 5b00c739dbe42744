import { request as undiciRequest, type Dispatcher } from 'undici';

// A small HTTP client for integration tests that behaves like one browser: it keeps cookies and
// sends the CSRF token the server handed out. On undici's request(), as the app's Microsoft client:
// the suite sends thousands of requests, and the built-in fetch() costs several times the CPU each.
// Redirects are not followed (a test reads the Location it was sent to).

/** What this client sends as its User-Agent (the one Node's fetch() sends); given states record the same. */
export const TEST_USER_AGENT = 'node';

/** undici's answer headers as the WHATWG Headers a test reads. */
export function toHeaders(raw: Dispatcher.ResponseData['headers']): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return headers;
}

export interface Response<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export class Browser {
  private cookies = new Map<string, string>();
  private csrf: string | undefined;

  constructor(readonly baseUrl: string) {}

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** The same browser (its cookies) talking to another server, e.g. the one started after a restart. */
  at(baseUrl: string): Browser {
    const moved = new Browser(baseUrl);
    moved.cookies = new Map(this.cookies);
    return moved;
  }

  /** This browser holding one more cookie, e.g. the session a test made through the services (test/support/given.ts). */
  withCookie(name: string, value: string): Browser {
    this.cookies.set(name, value);
    return this;
  }

  /** Every cookie held, e.g. to hand them to a real browser. */
  allCookies(): Array<{ name: string; value: string }> {
    return [...this.cookies].map(([name, value]) => ({ name, value }));
  }

  private remember(headers: Headers) {
    for (const line of headers.getSetCookie()) {
      const [pair] = line.split(';');
      const index = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, index).trim(), pair!.slice(index + 1).trim());
    }
  }

  private cookieHeader(): Record<string, string> {
    if (this.cookies.size === 0) return {};
    return { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  }

  async request<T = any>(method: string, path: string, init: { body?: unknown; raw?: string; headers?: Record<string, string>; csrf?: boolean } = {}): Promise<Response<T>> {
    const unsafe = method !== 'GET' && method !== 'HEAD';
    if (unsafe && init.csrf !== false && !this.csrf) {
      const token = await this.request<{ token: string }>('GET', '/api/csrf-token');
      this.csrf = token.body.token;
    }
    const headers: Record<string, string> = { 'user-agent': TEST_USER_AGENT, ...this.cookieHeader(), ...(init.headers ?? {}) };
    if (unsafe && init.csrf !== false && this.csrf) headers['x-csrf-token'] = this.csrf;
    let body: string | undefined;
    if (init.raw !== undefined) body = init.raw;
    else if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await undiciRequest(`${this.baseUrl}${path}`, { method: method as Dispatcher.HttpMethod, headers, ...(body !== undefined ? { body } : {}) });
    const answerHeaders = toHeaders(response.headers);
    this.remember(answerHeaders);
    const text = await response.body.text();
    let parsed: unknown = text;
    if ((answerHeaders.get('content-type') ?? '').includes('application/json') && text) parsed = JSON.parse(text);
    return { status: response.statusCode, body: parsed as T, headers: answerHeaders };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = any>(path: string, body?: unknown) {
    return this.request<T>('POST', path, { body: body ?? {} });
  }
}
