import assert from 'node:assert/strict';
import { completeSignIn, type Emulator } from '../../emulator/index.ts';
import { signupRequestSchema } from '../../contracts/signup.ts';
import { signupSessionCookie } from '../../server/modules/signup/signup.routes.ts';
import type { RequestMeta } from '../../server/modules/signup/signup.service.ts';
import { entraAppInput, partnerCenterAppInput, type PartnerTenant } from './connect.ts';
import { linkToken, secondaryContact, signupRequest } from './factories.ts';
import { Browser, TEST_USER_AGENT } from './http.ts';
import { partnerTenantFor, type TenantSetup } from './journeys.ts';
import type { TestSystem } from './system.ts';

// Test states built through the product's own services, not over HTTP: the same service calls the
// signup and connect routes make, in the same order, with a browser session made by claiming the
// signup link in the service. What a partner does in Microsoft (sign-in, password, MFA, consent)
// still happens in the emulator, so the stored tokens are real ones. Only tests of the flows
// themselves walk them over HTTP (test/support/sync.ts connectPartner, journeys.ts claimedSignup).

/** What the routes pass on from the request (the test client's address and user agent, as over HTTP). */
const meta: RequestMeta = { ip: '127.0.0.1', userAgent: TEST_USER_AGENT };

export interface ConnectedPartnerOptions extends Omit<TenantSetup, 'tenant'> {
  /** An existing tenant of the emulator to connect (see TenantSetup); default a new one. */
  tenant?: PartnerTenant;
  /** Signs up with a secondary contact, in copy of the partner's emails. */
  secondary?: boolean;
}

/**
 * The token of the link in the partner's latest `template` email, from the outbox where the email
 * waits (sealed under the app keyring's `outbox` key); once sent, the token is gone from the
 * outbox and is read from the mail catcher instead.
 */
async function mailedToken(system: TestSystem, partnerId: string, template: 'verify_email' | 'signup_link', page: 'verify' | 'signup-link'): Promise<string> {
  const row = await system.database.db
    .selectFrom('outbox')
    .select(['sealed_secrets', 'idempotency_key', 'to_address'])
    .where('partner_id', '=', partnerId)
    .where('template', '=', template)
    .orderBy('created_at', 'desc')
    .executeTakeFirstOrThrow();
  if (row.sealed_secrets) {
    const secrets = JSON.parse(system.services.vault.appKeys.sealer('outbox').open(row.sealed_secrets, `outbox:${row.idempotency_key}`)) as { token: string };
    return secrets.token;
  }
  const subject = template === 'verify_email' ? /Confirm your email/ : /one-time signup link/;
  const mail = await system.catcher!.waitFor((m) => m.to.includes(row.to_address) && subject.test(m.subject), 15_000);
  return linkToken(mail.text, page);
}

/**
 * A partner that signed up, confirmed its email, claimed its signup link and connected its own
 * tenant (a new one in `emulator`, set up as `options.scenario`, default `ready`): exactly what
 * `connectPartner` leaves after its commit (the partner `connected`, the tenant held, the first
 * import queued), in a fraction of its time. `browser` holds the session that claimed the link,
 * so it reads the status API as the connecting browser does.
 */
async function connectedPartner(system: TestSystem, emulator: Emulator, options: ConnectedPartnerOptions = {}) {
  const { signup, connect, wizard, signIn } = system.services;
  const { secondary, ...setup } = options;
  const request = signupRequest(secondary ? { secondaryContact: secondaryContact() } : {});
  const email = request.primaryContact.email;
  const tenant: PartnerTenant = partnerTenantFor({ ...system, emulator }, request.company.entraDomain, request.company.legalName, setup);

  // Step 1: the signup, the confirmation link, the signup link (POST /api/signups, /api/email-verifications, /api/signup-links/claim).
  await signup.submitSignup(signupRequestSchema.parse(request), meta);
  const { id: partnerId } = await system.database.db.selectFrom('partners').select('id').where('entra_domain', '=', request.company.entraDomain).executeTakeFirstOrThrow();
  await signup.verifyEmail(await mailedToken(system, partnerId, 'verify_email', 'verify'), meta);
  const signupToken = await mailedToken(system, partnerId, 'signup_link', 'signup-link');
  const { session } = await signup.claimSignupLink(signupToken, undefined, meta);

  // Step 3: terms, the two apps, the service account's sign-in in Microsoft, the checks, the commit.
  const documents = connect.legalTexts().map((d) => ({ document: d.document, version: d.version, sha256: d.sha256 }));
  await connect.acceptTerms(session, { accepted: true, documents }, meta);
  await wizard.saveEntraApp(session, entraAppInput(tenant), meta);
  await wizard.savePartnerCenterApp(session, partnerCenterAppInput(tenant), meta);
  const { authorizeUrl } = await signIn.startSignIn(session);
  const account = tenant.facts.serviceAccount;
  const outcome = await completeSignIn({ authorizeUrl, username: account.upn, password: account.password, ...(account.mfa === 'totp' ? { totp: () => tenant.totp() } : {}), consent: 'accept' });
  assert.ok(outcome.redirectUrl, `sign-in ended on a page: ${outcome.pageError ?? outcome.pages.join(' > ')}`);
  await signIn.completeSignIn(session, outcome.redirectUrl, meta);
  const signedIn = await connect.state(session);
  assert.equal(signedIn.step, 'preflight', `the sign-in was not accepted: ${signedIn.signIn?.error ?? 'no answer recorded'}`);
  await signIn.rerunPreflight(session);
  await signIn.commit(session, meta);

  const partner = await system.database.db.selectFrom('partners').selectAll().where('id', '=', partnerId).executeTakeFirstOrThrow();
  const browser = new Browser(system.url!).withCookie(signupSessionCookie(system.publicUrl).name, session);
  return { partner, tenant, email, request, signupToken, session, browser };
}

export const given = { connectedPartner };
