// The emulator's mutable memory: the running copy of the scenario plus the protocol state
// (sign-in transactions, sessions, codes, refresh tokens) and the logs the admin API reads.
// One object per emulator instance; nothing is global, so tests can run emulators side by side.
import type { Scenario } from './scenarios/types.ts';
import type { SigningKey } from './identity/keys.ts';

export interface AuthorizeRequest {
  tenantSegment: string;
  clientId: string;
  redirectUri: string;
  responseMode: 'query' | 'form_post' | 'fragment';
  scopes: string[];
  /** v1 authorize names a resource instead of scopes. */
  resource?: string;
  state?: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  prompt?: string;
  loginHint?: string;
  /** `amr_values` (MS-OAPX 2.2.2.10): `mfa` asks for multi-factor authentication. */
  amrValues?: string[];
}

/** One interactive sign-in in progress (a browser between the authorize pages). */
export interface AuthTransaction {
  id: string;
  request: AuthorizeRequest;
  tenantId?: string;
  userId?: string;
  passwordDone: boolean;
  mfaDone: boolean;
  /** The consent page was shown once; a later step must not show it again. */
  consentShown?: boolean;
  /** The browser's existing session, when the sign-in reuses it (SSO). */
  session?: Session;
  createdAt: number;
}

/** The browser's signed-in state, kept in the ESTSAUTH-like cookie. */
export interface Session {
  id: string;
  tenantId: string;
  userId: string;
  authTime: number; // epoch seconds
  mfa: boolean;
}

export interface IssuedCode {
  tenantId: string;
  userId: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  resource?: string;
  nonce?: string;
  codeChallenge?: string;
  authTime: number;
  mfa: boolean;
  sessionId: string;
  expiresAt: number; // epoch ms
  redeemed: boolean;
}

export interface RefreshTokenRecord {
  tenantId: string;
  userId: string;
  clientId: string;
  /** Scopes the user asked for over time (the grant); consent is re-checked at every use. */
  scopes: string[];
  authTime: number;
  mfa: boolean;
  sessionId: string;
  issuedAt: number; // epoch ms
  /** A refresh token expires after 90 days without use. */
  lastUsedAt: number;
}

export interface RequestLogEntry {
  at: string;
  service: 'identity' | 'graph' | 'partner-center' | 'key-vault' | 'admin' | 'other';
  method: string;
  path: string;
  status: number;
  durationMs: number;
  clientRequestId?: string;
  /**
   * The tracing and contract headers the request carried (names lower-cased): MS-RequestId,
   * MS-CorrelationId, MS-Contract-Version, MS-PartnerCenter-Application, Accept, X-Locale,
   * client-request-id. Never Authorization or cookies.
   */
  headers?: Record<string, string>;
}

export interface TokenLogEntry {
  at: string;
  uti: string;
  kind: 'access_token' | 'id_token' | 'refresh_token';
  grantType: string;
  tenantId: string;
  clientId: string;
  userPrincipalName?: string;
  audience?: string;
  scp?: string;
  roles?: string[];
  amr?: string[];
}

export interface EventLogEntry {
  at: string;
  type: string;
  tenantId?: string;
  detail: Record<string, unknown>;
}

export interface EmulatorState {
  scenario: Scenario;
  /** Pristine copy for reset(). */
  loaded: Scenario;
  baseUrl: string;
  now: () => Date;
  clockOffsetMs: number;
  key: SigningKey;
  transactions: Map<string, AuthTransaction>;
  sessions: Map<string, Session>;
  codes: Map<string, IssuedCode>;
  refreshTokens: Map<string, RefreshTokenRecord>;
  requests: RequestLogEntry[];
  tokens: TokenLogEntry[];
  events: EventLogEntry[];
  throttleWindows: Map<string, { windowStart: number; count: number }>;
  faultCounters: { requests: number; failedPages: Set<number> };
  /** Requests a test holds back (Emulator.hold), each matched once. */
  holds: RequestHold[];
}

/** One request a test holds back until it releases it: a slow Microsoft, made deterministic. */
export interface RequestHold {
  method: string;
  path: RegExp;
  arrived: () => void;
  released: Promise<void>;
}

/** The first hold matching the request, taken off the list (each hold stops one request). */
export function takeHold(state: EmulatorState, method: string, path: string): RequestHold | undefined {
  const index = state.holds.findIndex((h) => h.method === method && h.path.test(path));
  return index < 0 ? undefined : state.holds.splice(index, 1)[0];
}

const LOG_LIMIT = 10_000;

function pushCapped<T>(list: T[], entry: T): void {
  list.push(entry);
  if (list.length > LOG_LIMIT) list.splice(0, list.length - LOG_LIMIT);
}

export function createState(scenario: Scenario, key: SigningKey, clock: () => Date): EmulatorState {
  const state: EmulatorState = {
    scenario: structuredClone(scenario),
    loaded: structuredClone(scenario),
    baseUrl: '',
    now: () => new Date(clock().getTime() + state.clockOffsetMs),
    clockOffsetMs: 0,
    key,
    transactions: new Map(),
    sessions: new Map(),
    codes: new Map(),
    refreshTokens: new Map(),
    requests: [],
    tokens: [],
    events: [],
    throttleWindows: new Map(),
    holds: [],
    faultCounters: { requests: 0, failedPages: new Set() },
  };
  return state;
}

/** Forget everything that happened and start again from `scenario` (default: the loaded one). */
export function resetState(state: EmulatorState, scenario: Scenario = state.loaded): void {
  state.loaded = structuredClone(scenario);
  state.scenario = structuredClone(scenario);
  state.transactions.clear();
  state.sessions.clear();
  state.codes.clear();
  state.refreshTokens.clear();
  state.requests.length = 0;
  state.tokens.length = 0;
  state.events.length = 0;
  state.throttleWindows.clear();
  state.faultCounters = { requests: 0, failedPages: new Set() };
}

export function logRequest(state: EmulatorState, entry: RequestLogEntry): void {
  pushCapped(state.requests, entry);
}

export function logToken(state: EmulatorState, entry: Omit<TokenLogEntry, 'at'>): void {
  pushCapped(state.tokens, { at: state.now().toISOString(), ...entry });
}

export function logEvent(state: EmulatorState, type: string, detail: Record<string, unknown>, tenantId?: string): void {
  pushCapped(state.events, { at: state.now().toISOString(), type, ...(tenantId ? { tenantId } : {}), detail });
}
