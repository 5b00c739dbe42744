import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { buildScenarioTenant, completeSignIn, type Emulator, type PatchOperation, type PatchResult, type ScenarioTenant, type TenantFacts } from '../../emulator/index.ts';
import type { Browser } from './http.ts';

// Helpers that walk the connect wizard through HTTP as a partner would, with the facts of the
// partner's own Microsoft tenant (what the partner prepared in Step 2).

/**
 * A partner organization's own Microsoft tenant in the emulator's world: built from a built-in
 * scenario, with its own apps, service account, domains and customers. Its patches change this
 * tenant only.
 */
export interface PartnerTenant {
  readonly id: string;
  /** Live: patches (a new secret, a changed password) show here. */
  readonly facts: TenantFacts;
  readonly emulator: Emulator;
  /** The tenant itself, live in the emulator's world, for what no patch operation changes (e.g. `partnerCenter.maxPageSize`). */
  readonly scenario: ScenarioTenant;
  patch(...operations: PatchOperation[]): PatchResult[];
  /** The current MFA code of a user of this tenant (default: its service account). */
  totp(upn?: string): string;
}

export interface PartnerTenantOptions {
  /** Built-in scenario the tenant is set up as (default `ready`). */
  scenario?: string;
  /** A verified domain of the tenant (the one the partner signs up with); default a new `<x>.onmicrosoft.com`. */
  domain?: string;
  companyName?: string;
  /** The product's reply address, which the scenario registers on the Partner Center web app (or not: `reply-address-missing`). */
  replyAddress?: string;
  /**
   * Customers its Partner Center holds (default 30: every connected tenant is imported, customer
   * by customer with its GDAP access; the scenario's own 250 only where a test asks for them).
   */
  customers?: number;
  /** Changes applied to the tenant before it is used (setCustomers, setThrottle, setFaults, ...). */
  patches?: PatchOperation[];
  /** Changes no patch operation makes (e.g. `partnerCenter.maxPageSize`), to the tenant as built, before it joins the world. */
  prepare?: (tenant: ScenarioTenant) => void;
}

/** Customers of a new partner tenant unless a test says otherwise. */
const TEST_TENANT_CUSTOMERS = 30;

/** Adds a new partner tenant to the emulator's running world. */
export function newPartnerTenant(emulator: Emulator, options: PartnerTenantOptions = {}): PartnerTenant {
  const seed = randomBytes(6).toString('hex');
  const domain = options.domain?.toLowerCase();
  const onMicrosoft = domain?.match(/^([a-z0-9-]+)\.onmicrosoft\.com$/)?.[1];
  const domainPrefix = onMicrosoft ?? `partner${seed}`;
  const tenant = buildScenarioTenant(options.scenario ?? 'ready', {
    now: emulator.now(),
    seed,
    domainPrefix,
    ...(options.companyName ? { companyName: options.companyName } : {}),
    ...(options.replyAddress ? { replyAddress: options.replyAddress } : {}),
    customerCount: options.customers ?? TEST_TENANT_CUSTOMERS,
  });
  // A custom domain (fabrikam.example) is one of the tenant's verified domains, after its own.
  if (domain && !onMicrosoft) tenant.domains.push(domain);
  options.prepare?.(tenant);
  const partnerTenant = tenantInWorld(emulator, emulator.addTenant(tenant).tenantId);
  if (options.patches?.length) partnerTenant.patch(...options.patches);
  return partnerTenant;
}

/** A tenant already in the emulator's world (default: the scenario's first tenant), as a partner's tenant. */
export function tenantInWorld(emulator: Emulator, id = emulator.facts.tenantId): PartnerTenant {
  const partnerTenant: PartnerTenant = {
    id,
    get facts() {
      const facts = emulator.allFacts.find((f) => f.tenantId === id);
      if (!facts) throw new Error(`Tenant ${id} is no longer in the emulator's world (a scenario was loaded since)`);
      return facts;
    },
    emulator,
    get scenario() {
      const live = emulator.scenario.tenants.find((t) => t.id === id);
      if (!live) throw new Error(`Tenant ${id} is no longer in the emulator's world (a scenario was loaded since)`);
      return live;
    },
    patch: (...operations) => emulator.patch(...operations.map((operation) => ({ ...operation, tenantId: id }) as PatchOperation)),
    totp: (upn) => emulator.totp(upn ?? partnerTenant.facts.serviceAccount.upn),
  };
  return partnerTenant;
}

export async function acceptTerms(browser: Browser) {
  const terms = await browser.get('/api/connect/terms');
  const documents = terms.body.documents.map((d: { document: string; version: string; sha256: string }) => ({ document: d.document, version: d.version, sha256: d.sha256 }));
  const accepted = await browser.post('/api/connect/terms-acceptances', { accepted: true, documents });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
}

export function entraAppInput(tenant: PartnerTenant, overrides: Record<string, string> = {}) {
  const f = tenant.facts;
  return { tenant: f.domain, clientId: f.totalOneApp.appId, clientSecret: f.totalOneApp.secret!, ...overrides };
}

export function partnerCenterAppInput(tenant: PartnerTenant, overrides: Record<string, string> = {}) {
  const f = tenant.facts;
  // No expiry date: the wizard reads it from Microsoft (the web app's key with the same first characters).
  return { webAppId: f.partnerCenter.webAppId, webAppSecret: f.partnerCenter.webAppSecret!, nativeAppId: f.partnerCenter.nativeAppId, ...overrides };
}

/** The day Microsoft says the Partner Center web app's secret ends (what the wizard reads). */
export function webAppSecretEnd(tenant: PartnerTenant): string {
  const f = tenant.facts;
  const app = tenant.emulator.scenario.tenants.find((t) => t.id === f.tenantId)!.applications.find((a) => a.appId === f.partnerCenter.webAppId)!;
  return app.passwordCredentials.find((c) => c.secretText === f.partnerCenter.webAppSecret)!.endDateTime!.slice(0, 10);
}

/** Starts the sign-in, walks Microsoft's pages (password, MFA, consent), follows the redirect back. */
export async function signInWithMicrosoft(browser: Browser, tenant: PartnerTenant, options: { password?: string; consent?: 'accept' | 'cancel' } = {}) {
  const f = tenant.facts;
  return signInAs(browser, {
    upn: f.serviceAccount.upn,
    password: options.password ?? f.serviceAccount.password,
    ...(f.serviceAccount.mfa === 'totp' ? { totp: () => tenant.totp() } : {}),
    consent: options.consent ?? 'accept',
  });
}

/**
 * The wizard's Microsoft sign-in as the given account (what the partner types on Microsoft's
 * pages): password, the MFA code when asked, consent; then the redirect back to the wizard.
 */
export async function signInAs(browser: Browser, account: { upn: string; password: string; totp?: () => string; consent?: 'accept' | 'cancel' }) {
  const start = await browser.post('/api/connect/microsoft-sign-in');
  assert.equal(start.status, 200, JSON.stringify(start.body));
  const outcome = await completeSignIn({
    authorizeUrl: start.body.authorizeUrl,
    username: account.upn,
    password: account.password,
    ...(account.totp ? { totp: account.totp } : {}),
    consent: account.consent ?? 'accept',
  });
  assert.ok(outcome.redirectUrl, `sign-in ended on a page: ${outcome.pageError ?? outcome.pages.join(' > ')}`);
  const callback = outcome.redirectUrl!;
  const back = await browser.get(`${callback.pathname}${callback.search}`);
  assert.equal(back.status, 303);
  assert.equal(back.headers.get('location'), '/connect');
  // Back in the wizard, the checks of a new sign-in run as the page asks for them.
  const state = await browser.get('/api/connect/state');
  if (state.body.step === 'preflight' && !state.body.preflight) {
    const checks = await browser.post('/api/connect/preflight', {});
    assert.equal(checks.status, 200, JSON.stringify(checks.body));
  }
  return { start, outcome };
}
