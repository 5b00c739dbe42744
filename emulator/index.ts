// Public entry point of the Microsoft emulator. The app (embedded demo mode) and the tests
// start it with startEmulator(); only base URLs tell production code where Microsoft is.
import type { AddressInfo } from 'node:net';
import { scenarioFacts, tenantFacts, totpCode, type TenantFacts } from './facts.ts';
import { setupAppFacts, type SetupAppFacts } from './scenarios/setup.ts';
import { msalAuthorityMetadata } from './identity/discovery.ts';
import { processSigningKey } from './identity/keys.ts';
import { DEFAULT_VAULT_KEY, withKeyVault } from './key-vault/operator.ts';
import { startKeyVault, type KeyVaultListener } from './key-vault/server.ts';
import { buildScenario } from './scenarios/index.ts';
import { parseScenario } from './scenarios/schema.ts';
import { applyPatch, type PatchOperation, type PatchResult } from './scenarios/patch.ts';
import type { Scenario, ScenarioTenant } from './scenarios/types.ts';
import { buildServer } from './server.ts';
import { createState, logEvent, resetState, type EventLogEntry, type RequestLogEntry, type TokenLogEntry } from './state.ts';

export type * from './scenarios/types.ts';
export type { PatchOperation, PatchResult } from './scenarios/patch.ts';
export type { TenantFacts } from './facts.ts';
export type { EventLogEntry, RequestLogEntry, TokenLogEntry } from './state.ts';
export { listScenarios, buildScenario, buildScenarioTenant, buildReadyTenant } from './scenarios/index.ts';
export { totpCode } from './facts.ts';
export { SETUP_APP_SCOPES, SETUP_CALLBACK_PATH, type SetupAppFacts } from './scenarios/setup.ts';
export { parseScenario } from './scenarios/schema.ts';
export { GRAPH_APP_ID, GRAPH_RESOURCE, PARTNER_CENTER_APP_ID, PARTNER_CENTER_RESOURCE, GLOBAL_ADMIN_ROLE_TEMPLATE_ID, GRAPH_APP_ROLES, GRAPH_SCOPES } from './microsoft-catalog.ts';
export { completeSignIn, type SignInOptions, type SignInOutcome } from './testing/sign-in.ts';

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** A built-in scenario name (default 'ready') or a full scenario object. */
  scenario?: string | Scenario;
  /** Injectable clock; admin "advance clock" adds an offset on top of it. */
  now?: () => Date;
  logger?: boolean;
  /**
   * Parameter of the built-in scenarios: the product's reply address (redirect URI), registered on
   * the Partner Center web app by `ready` and its variants, not by `reply-address-missing`. The
   * emulator registers no redirect URI on its own; without this, the web app has none.
   */
  replyAddress?: string;
  /** Base URL to advertise when the emulator sits behind a proxy or listens on 0.0.0.0. */
  publicBaseUrl?: string;
  /** Also serve Azure Key Vault keys on a second, https port (self-signed certificate). */
  keyVault?: boolean | { port?: number };
}

/** What the product needs to use the emulated vault (Azure SDK: KeyClient / CryptographyClient). */
export interface KeyVaultFacts {
  /** https://127.0.0.1:<port> — the vault URL. */
  vaultUrl: string;
  /** Certificate to trust: tlsOptions: { ca } in the Azure SDK client options, or NODE_EXTRA_CA_CERTS. */
  ca: string;
  /** TotalOne's own tenant, which owns the vault. */
  tenantId: string;
  /** App with access to the vault's keys, and its secret (client credentials, scope https://vault.azure.net/.default). */
  clientId: string;
  clientSecret: string;
  keyName: string;
  /** Key id without version (newest version is used). */
  keyId: string;
  tokenEndpoint: string;
}

export interface MsalEmulatorConfig {
  /** https authority on a host that is never contacted; MSAL requires https. */
  authority: string;
  knownAuthorities: string[];
  /** JSON string for MSAL's `authorityMetadata`, pointing at the emulator's http endpoints. */
  authorityMetadata: string;
}

export interface Emulator {
  /** e.g. http://127.0.0.1:4010 (no trailing slash). */
  readonly baseUrl: string;
  /** Base URLs the product configures: identity host, Graph root, Partner Center root. */
  readonly endpoints: { authorityHost: string; graph: string; partnerCenter: string; admin: string };
  /** The running scenario (live: patches and Graph writes show here). */
  readonly scenario: Scenario;
  /** Facts of the first tenant: service account, app ids and secrets, Partner Center apps. */
  readonly facts: TenantFacts;
  /** TotalOne's multi-tenant setup application (client id, secret, reply addresses); absent in custom worlds without it. */
  readonly setupApp: SetupAppFacts | undefined;
  readonly allFacts: TenantFacts[];
  now(): Date;
  /** The reply address built-in scenarios register (start option, or the last one given to loadScenario). */
  readonly replyAddress: string | undefined;
  /**
   * Load a built-in scenario by name (with its parameter, the reply address; kept for later loads)
   * or a full scenario object (used as given).
   */
  loadScenario(nameOrScenario: string | Scenario, parameters?: ScenarioParameters): void;
  /** Back to the loaded scenario; forgets sessions, tokens, logs, throttle windows and the clock offset. */
  reset(): void;
  patch(...operations: PatchOperation[]): PatchResult[];
  /**
   * Another partner organization's tenant joins the running world (build it with
   * `buildScenarioTenant`): kept by `reset()`, dropped by `loadScenario`. Answers its facts.
   * Its id and domains must be new to the world.
   */
  addTenant(tenant: ScenarioTenant): TenantFacts;
  advanceClock(seconds: number): void;
  /**
   * Test control: the next request with this method whose path matches waits (as behind a slow
   * Microsoft) until `release()`; `reached` resolves when it has arrived. Answers are unchanged.
   */
  hold(method: string, path: RegExp): { reached: Promise<void>; release(): void };
  /** Current TOTP code of a user (default: the first tenant's service account). */
  totp(upn?: string): string;
  /** MSAL settings for a tenant (default: first tenant); 'organizations' gives a multi-tenant authority. */
  msalConfig(tenantId?: string): MsalEmulatorConfig;
  /** Present when started with `keyVault`. */
  readonly keyVault?: KeyVaultFacts;
  readonly requests: readonly RequestLogEntry[];
  readonly tokens: readonly TokenLogEntry[];
  readonly events: readonly EventLogEntry[];
  close(): Promise<void>;
}

/** Parameters of the built-in scenarios. */
export interface ScenarioParameters {
  /** The product's reply address; see EmulatorOptions.replyAddress. */
  replyAddress?: string;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const clock = options.now ?? (() => new Date());
  const parameters: ScenarioParameters = { ...(options.replyAddress ? { replyAddress: options.replyAddress } : {}) };
  const resolve = (s: string | Scenario): Scenario => {
    const scenario = typeof s === 'string' ? buildScenario(s, clock(), parameters) : parseScenario(s);
    return options.keyVault ? withKeyVault(scenario, clock()) : scenario;
  };
  const key = await processSigningKey();
  let vault: KeyVaultListener | undefined;
  const state = createState(resolve(options.scenario ?? 'ready'), key, clock);

  const controls = {
    load(nameOrScenario: string | Scenario, given?: ScenarioParameters) {
      if (given && 'replyAddress' in given) {
        if (given.replyAddress) parameters.replyAddress = given.replyAddress;
        else delete parameters.replyAddress;
      }
      resetState(state, resolve(nameOrScenario));
      state.clockOffsetMs = 0;
    },
    reset() {
      resetState(state);
      state.clockOffsetMs = 0;
    },
    patch(...ops: PatchOperation[]) {
      return ops.map((op) => applyPatch(state, op));
    },
    advanceClock(seconds: number) {
      state.clockOffsetMs += seconds * 1000;
    },
    keyVault: (): KeyVaultFacts | undefined => vaultFacts(),
  };

  const app = buildServer(state, controls, options.logger ?? false);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port ?? 0, host });
  const { port } = app.server.address() as AddressInfo;
  const advertisedHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  state.baseUrl = (options.publicBaseUrl ?? `http://${advertisedHost}:${port}`).replace(/\/+$/, '');
  if (options.keyVault) {
    vault = await startKeyVault(state, { host, ...(typeof options.keyVault === 'object' && options.keyVault.port !== undefined ? { port: options.keyVault.port } : {}) });
  }
  function vaultFacts(): KeyVaultFacts | undefined {
    const config = state.scenario.keyVault;
    if (!vault || !config) return undefined;
    const owner = state.scenario.tenants.find((t) => t.id === config.tenantId);
    const app = owner?.applications.find((a) => a.appId === config.accessPolicies[0]?.appId);
    const keyName = config.keyNames[0] ?? DEFAULT_VAULT_KEY;
    return {
      vaultUrl: vault.vaultUrl, ca: vault.ca, tenantId: config.tenantId, clientId: app?.appId ?? '', clientSecret: app?.passwordCredentials.at(-1)?.secretText ?? '',
      keyName, keyId: `${vault.vaultUrl}/keys/${keyName}`, tokenEndpoint: `${state.baseUrl}/${config.tenantId}/oauth2/v2.0/token`,
    };
  }

  const releases: Array<() => void> = [];
  const firstTenant = () => {
    const tenant = state.scenario.tenants[0];
    if (!tenant) throw new Error('The running scenario has no tenant');
    return tenant;
  };

  return {
    get baseUrl() { return state.baseUrl; },
    get endpoints() {
      return { authorityHost: state.baseUrl, graph: `${state.baseUrl}/v1.0`, partnerCenter: `${state.baseUrl}/v1`, admin: `${state.baseUrl}/_emulator` };
    },
    get scenario() { return state.scenario; },
    get facts() { return tenantFacts(firstTenant()); },
    get setupApp() { return setupAppFacts(state.scenario); },
    get allFacts() { return scenarioFacts(state.scenario); },
    now: () => state.now(),
    get replyAddress() { return parameters.replyAddress; },
    loadScenario: (s, given) => controls.load(s, given),
    reset: () => controls.reset(),
    patch: (...ops) => controls.patch(...ops),
    addTenant(tenant) {
      const taken = new Set(state.scenario.tenants.flatMap((t) => [t.id, ...t.domains.map((d) => d.toLowerCase())]));
      const clash = [tenant.id, ...tenant.domains.map((d) => d.toLowerCase())].find((key) => taken.has(key));
      if (clash) throw new Error(`The running scenario already has a tenant with ${clash}`);
      state.scenario.tenants.push(structuredClone(tenant));
      state.loaded.tenants.push(structuredClone(tenant));
      logEvent(state, 'scenario.tenant_added', { domains: tenant.domains }, tenant.id);
      return tenantFacts(tenant);
    },
    advanceClock: (seconds) => controls.advanceClock(seconds),
    hold(method, path) {
      let arrived!: () => void;
      let release!: () => void;
      const reached = new Promise<void>((resolve) => { arrived = resolve; });
      const released = new Promise<void>((resolve) => { release = resolve; });
      state.holds.push({ method: method.toUpperCase(), path, arrived, released });
      releases.push(release);
      return { reached, release };
    },
    totp(upn) {
      const tenant = firstTenant();
      const wanted = (upn ?? tenant.roles.serviceAccountUpn).toLowerCase();
      const user = state.scenario.tenants.flatMap((t) => t.users).find((u) => u.userPrincipalName.toLowerCase() === wanted);
      if (user?.mfa?.method !== 'totp') throw new Error(`${wanted} has no TOTP method in the running scenario`);
      return totpCode(user.mfa.secret, state.now());
    },
    msalConfig(tenantId) {
      const tid = tenantId ?? firstTenant().id;
      return {
        authority: `https://login.emulator.invalid/${tid}`,
        knownAuthorities: ['login.emulator.invalid'],
        authorityMetadata: msalAuthorityMetadata(state.baseUrl, tid),
      };
    },
    get keyVault() { return vaultFacts(); },
    get requests() { return state.requests; },
    get tokens() { return state.tokens; },
    get events() { return state.events; },
    close: async () => {
      // Nothing stays held back, or closing would wait for it.
      state.holds.length = 0;
      for (const release of releases) release();
      await vault?.close();
      await app.close();
    },
  };
}

