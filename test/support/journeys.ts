import assert from 'node:assert/strict';
import { newPartnerTenant, type PartnerTenant, type PartnerTenantOptions } from './connect.ts';
import { linkToken, signupRequest } from './factories.ts';
import { Browser } from './http.ts';
import type { TestSystem } from './system.ts';

/**
 * The partner's tenant: a new one set up as `scenario` (default `ready`; the domain is the
 * signup's, the reply address the system's), or an existing `tenant` to which the signed-up domain
 * is added as a verified domain (a second company in one tenant), or `'none'`: no tenant holds
 * the signed-up domain. `patches` apply to the tenant, `prepare` to a new one as built. `replyAddress: false`: the partner has not
 * registered TotalOne's reply address on its Partner Center web app (e.g. "Set up Microsoft for me" does it).
 */
export type TenantSetup = Pick<PartnerTenantOptions, 'scenario' | 'customers' | 'patches' | 'prepare'> & { tenant?: PartnerTenant | 'none'; replyAddress?: false };

/**
 * Signs up, verifies and claims the signup link in `browser`: the start of Step 3. The company
 * has its own Microsoft tenant in the system's emulator (`tenant`), which holds the signed-up
 * domain as a verified domain (as the product checks) and is set up as `setup.scenario`.
 */
export async function claimedSignup(system: TestSystem, browser = new Browser(system.url!), overrides: Parameters<typeof signupRequest>[0] = {}, setup: TenantSetup = {}) {
  const request = signupRequest(overrides);
  const email = request.primaryContact.email;
  const tenant = system.emulator && setup.tenant !== 'none' ? partnerTenantFor(system, request.company.entraDomain, request.company.legalName, setup as TenantSetup & { tenant?: PartnerTenant }) : undefined;
  if (setup.tenant && setup.tenant !== 'none' && !tenant) throw new Error('A tenant was given, but this test system has no Microsoft emulator');
  assert.equal((await browser.post('/api/signups', request)).status, 202);
  const verification = await system.catcher!.waitFor((m) => m.to.includes(email) && /Confirm your email/.test(m.subject), 15_000);
  assert.equal((await browser.post('/api/email-verifications', { token: linkToken(verification.text, 'verify') })).status, 200);
  const linkMail = await system.catcher!.waitFor((m) => m.to.includes(email) && /one-time signup link/.test(m.subject), 15_000);
  const signupToken = linkToken(linkMail.text, 'signup-link');
  const claim = await browser.post('/api/signup-links/claim', { token: signupToken });
  assert.equal(claim.status, 200, JSON.stringify(claim.body));
  const partner = await system.database.db.selectFrom('partners').selectAll().where('entra_domain', '=', request.company.entraDomain).executeTakeFirstOrThrow();
  return {
    browser,
    request,
    email,
    signupToken,
    partner,
    /** The company's own tenant in the emulator. */
    get tenant(): PartnerTenant {
      if (!tenant) throw new Error('This partner has no tenant in the emulator (no emulator, or signed up with tenant: none)');
      return tenant;
    },
  };
}

/** The partner's tenant as `setup` says (see TenantSetup), holding `domain` as a verified domain. */
export function partnerTenantFor(system: TestSystem, domain: string, companyName: string, setup: TenantSetup & { tenant?: PartnerTenant }): PartnerTenant {
  const { tenant, ...options } = setup;
  if (!tenant) return newTenant(system, { ...options, domain, companyName });
  tenant.patch({ op: 'addDomain', name: domain }, ...(options.customers === undefined ? [] : [{ op: 'setCustomers' as const, count: options.customers }]), ...(options.patches ?? []));
  return tenant;
}

/**
 * A new partner tenant in the system's emulator; its Partner Center web app has the system's
 * reply address where the scenario registers one (as a partner following the guide does).
 * Pass it as `tenant` to claimedSignup/connectPartner to sign up with one of its domains.
 */
export function newTenant(system: TestSystem, options: Omit<PartnerTenantOptions, 'replyAddress'> & { replyAddress?: false } = {}): PartnerTenant {
  if (!system.emulator) throw new Error('This test system has no Microsoft emulator');
  const { replyAddress, ...rest } = options;
  return newPartnerTenant(system.emulator, { ...rest, ...(replyAddress === false ? {} : { replyAddress: `${system.publicUrl}/api/connect/microsoft/callback` }) });
}
