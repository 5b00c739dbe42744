// The identity platform as Microsoft documents it, where the product does not go (authority
// aliases, unknown tenants), and the parts of tokens and keys a validating client reads.
import assert from 'node:assert/strict';
import { X509Certificate, createHash } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { completeSignIn, startEmulator, type Emulator } from '../index.ts';
import { SECRET_TOKEN_REQUESTS } from '../scenarios/index.ts';
import { PC_SCOPE, REDIRECT_URI, aadCode, authorizeUrl, bearer, claims, getJson, pkcePair, postForm, signInServiceAccount } from './helpers.ts';

let e: Emulator;
before(async () => { e = await startEmulator({ port: 0, replyAddress: REDIRECT_URI }); });
after(async () => { await e.close(); });
beforeEach(() => e.loadScenario('ready'));

const token = (tenant: string, v: 1 | 2 = 2) => `${e.baseUrl}/${tenant}/oauth2/${v === 2 ? 'v2.0/' : ''}token`;

describe('authority aliases /common and /organizations', () => {
  it('serve discovery (issuer template {tenantid}) and keys', async () => {
    for (const alias of ['common', 'organizations']) {
      const v2 = await getJson(`${e.baseUrl}/${alias}/v2.0/.well-known/openid-configuration`);
      assert.equal(v2.status, 200, alias);
      assert.equal(v2.body.issuer, `${e.baseUrl}/{tenantid}/v2.0`);
      assert.equal(v2.body.authorization_endpoint, `${e.baseUrl}/${alias}/oauth2/v2.0/authorize`);
      const v1 = await getJson(`${e.baseUrl}/${alias}/.well-known/openid-configuration`);
      assert.equal(v1.status, 200);
      assert.equal(v1.body.issuer, 'https://sts.windows.net/{tenantid}/');
      const keys = await getJson(`${e.baseUrl}/${alias}/discovery/v2.0/keys`);
      assert.equal(keys.status, 200);
      assert.equal(keys.body.keys[0].issuer, `${e.baseUrl}/{tenantid}/v2.0`);
    }
  });

  it('an unknown app on an alias gets AADSTS700016 on Microsoft\'s page; a known app gets the sign-in page', async () => {
    for (const alias of ['common', 'organizations']) {
      const unknown = await fetch(authorizeUrl(e, { clientId: '11111111-2222-4333-8444-555555555555', scope: PC_SCOPE, tenant: alias, challenge: pkcePair().challenge }), { redirect: 'manual' });
      assert.equal(unknown.headers.get('location'), null);
      assert.match(await unknown.text(), /AADSTS700016/);
      const known = await fetch(authorizeUrl(e, { clientId: e.facts.partnerCenter.webAppId, scope: PC_SCOPE, tenant: alias, challenge: pkcePair().challenge }), { redirect: 'manual' });
      assert.equal(known.status, 200);
      assert.match(await known.text(), /<label for="loginfmt">/);
    }
  });

  it('a code from an /organizations sign-in is redeemed there', async () => {
    const f = e.facts;
    const { verifier, challenge } = pkcePair();
    const signIn = await completeSignIn({
      authorizeUrl: authorizeUrl(e, { clientId: f.partnerCenter.webAppId, scope: PC_SCOPE, tenant: 'organizations', challenge }),
      username: f.serviceAccount.upn, password: f.serviceAccount.password, totp: () => e.totp(), consent: 'accept',
    });
    assert.ok(signIn.code, JSON.stringify(signIn));
    const r = await postForm(token('organizations'), { grant_type: 'authorization_code', client_id: f.partnerCenter.webAppId, client_secret: f.partnerCenter.webAppSecret!, code: signIn.code!, redirect_uri: REDIRECT_URI, code_verifier: verifier, scope: PC_SCOPE });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(claims(r.body.access_token).tid, f.tenantId);
  });

  // "The directory tenant the application plans to operate against, in GUID or domain-name format"
  // (https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow);
  // codes and texts from https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes.
  it('client credentials name a tenant: /common refuses the grant (AADSTS9001023), /organizations finds none (AADSTS50059)', async () => {
    const f = e.facts;
    const body = { grant_type: 'client_credentials', client_id: f.totalOneApp.appId, client_secret: f.totalOneApp.secret!, scope: 'https://graph.microsoft.com/.default' };
    const common = await postForm(token('common'), body);
    assert.equal(common.status, 400);
    assert.equal(aadCode(common.body), 9001023);
    assert.match(common.body.error_description, /not supported over the \/common or \/consumers endpoints/);
    const organizations = await postForm(token('organizations'), body);
    assert.equal(organizations.status, 400);
    assert.equal(aadCode(organizations.body), 50059);
    const v1 = await postForm(token('organizations', 1), { ...body, scope: '', resource: 'https://graph.microsoft.com' });
    assert.equal(aadCode(v1.body), 50059);
    assert.equal((await postForm(token(f.tenantId), body)).status, 200, 'the tenant-specific authority works');
    assert.equal((await postForm(token(f.domain), body)).status, 200, 'so does the domain name');
    const ropc = await postForm(token('common'), { grant_type: 'password', client_id: f.totalOneApp.appId, client_secret: f.totalOneApp.secret!, username: f.serviceAccount.upn, password: f.serviceAccount.password, scope: 'User.Read' });
    assert.equal(aadCode(ropc.body), 9001023);
  });
});

describe('unknown tenants', () => {
  it('discovery and keys answer invalid_tenant (AADSTS90002); the token endpoint invalid_request', async () => {
    for (const path of ['v2.0/.well-known/openid-configuration', '.well-known/openid-configuration', 'discovery/v2.0/keys', 'discovery/keys']) {
      const r = await getJson(`${e.baseUrl}/nosuchtenant.onmicrosoft.com/${path}`);
      assert.equal(r.status, 400, path);
      assert.equal(r.body.error, 'invalid_tenant', path);
      assert.equal(aadCode(r.body), 90002);
      assert.match(r.body.error_description, /Tenant 'nosuchtenant.onmicrosoft.com' not found/);
    }
    const t = await postForm(token('00000000-1111-4222-8333-444444444444'), { grant_type: 'client_credentials', client_id: e.facts.totalOneApp.appId, client_secret: e.facts.totalOneApp.secret!, scope: 'https://graph.microsoft.com/.default' });
    assert.equal(t.body.error, 'invalid_request');
    assert.equal(aadCode(t.body), 90002);
  });
});

describe('signing keys', () => {
  it('carry the certificate (x5c), its SHA-1 thumbprint as x5t and kid, and the issuer (v2.0)', async () => {
    const f = e.facts;
    const v2 = (await getJson(`${e.baseUrl}/${f.tenantId}/discovery/v2.0/keys`)).body.keys[0];
    assert.deepEqual(Object.keys(v2).sort(), ['cloud_instance_name', 'e', 'issuer', 'kid', 'kty', 'n', 'use', 'x5c', 'x5t']);
    assert.equal(v2.issuer, `${e.baseUrl}/${f.tenantId}/v2.0`);
    assert.equal(v2.kid, v2.x5t);
    const der = Buffer.from(v2.x5c[0], 'base64');
    assert.equal(createHash('sha1').update(der).digest('base64url'), v2.x5t);
    const cert = new X509Certificate(der);
    const publicJwk = cert.publicKey.export({ format: 'jwk' });
    assert.equal(publicJwk.n, v2.n, 'the certificate holds the signing key');
    assert.equal(publicJwk.e, v2.e);
    assert.ok(cert.verify(cert.publicKey), 'self-signed');
    const v1 = (await getJson(`${e.baseUrl}/${f.tenantId}/discovery/keys`)).body.keys[0];
    assert.deepEqual(Object.keys(v1).sort(), ['e', 'kid', 'kty', 'n', 'use', 'x5c', 'x5t']);

    const app = await postForm(token(f.tenantId), { grant_type: 'client_credentials', client_id: f.totalOneApp.appId, client_secret: f.totalOneApp.secret!, scope: 'https://graph.microsoft.com/.default' });
    const header = decodeProtectedHeader(app.body.access_token);
    assert.equal(header.kid, v2.kid);
    assert.equal(header.x5t, v2.x5t);
  });
});

describe('token times', () => {
  // The access token sample of "Access token claims reference"
  // (https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference):
  // iat = nbf = 1537231048, exp = 1537234948 (one hour plus five minutes).
  it('iat and nbf lie five minutes before the issuance; exp is the issuance plus expires_in', async () => {
    const f = e.facts;
    const issued = Math.floor(e.now().getTime() / 1000);
    const app = await postForm(token(f.tenantId), { grant_type: 'client_credentials', client_id: f.totalOneApp.appId, client_secret: f.totalOneApp.secret!, scope: 'https://graph.microsoft.com/.default' });
    const c = claims(app.body.access_token);
    assert.equal(c.iat, c.nbf);
    assert.ok(Math.abs(c.iat - (issued - 300)) <= 2, `iat ${c.iat} vs issuance ${issued}`);
    assert.ok(Math.abs(c.exp - (issued + app.body.expires_in)) <= 2);
    assert.ok(c.exp - c.iat >= 3600 + 300 && c.exp - c.iat <= 5400 + 300, 'lifetime 60-90 minutes plus the five');
    const { token: user } = await signInServiceAccount(e);
    const access = claims(user.body.access_token);
    const id = claims(user.body.id_token);
    assert.equal(access.iat, access.nbf);
    assert.equal(id.iat, id.nbf);
    assert.equal(id.exp - id.iat, 3600 + 300);
    const v1 = await postForm(token(f.tenantId, 1), { grant_type: 'client_credentials', client_id: f.totalOneApp.appId, client_secret: f.totalOneApp.secret!, resource: 'https://graph.microsoft.com' });
    assert.equal(Number(v1.body.not_before), claims(v1.body.access_token).nbf);
    assert.equal(Number(v1.body.expires_on), claims(v1.body.access_token).exp);
  });
});

/** The authorize URL with amr_values (MS-OAPX 2.2.2.10), as the product's sign-in sends it. */
function withAmrValues(url: string): string {
  const u = new URL(url);
  u.searchParams.set('amr_values', 'mfa');
  return u.toString();
}

describe('MFA asked for (amr_values=mfa)', () => {
  it('mfa-not-enforced: no prompt unless asked; asked, the account with a method is prompted and amr says mfa', async () => {
    e.loadScenario('mfa-not-enforced');
    const f = e.facts;
    const plain = await signInServiceAccount(e);
    assert.ok(!plain.signIn.pages.includes('Verify your identity'), plain.signIn.pages.join(' > '));
    assert.deepEqual(claims(plain.token.body.access_token).amr, ['pwd']);

    const { verifier, challenge } = pkcePair();
    const asked = await completeSignIn({
      authorizeUrl: withAmrValues(authorizeUrl(e, { clientId: f.partnerCenter.webAppId, scope: PC_SCOPE, challenge, prompt: 'login' })),
      username: f.serviceAccount.upn, password: f.serviceAccount.password, totp: () => e.totp(), consent: 'accept',
    });
    assert.ok(asked.pages.includes('Verify your identity'), asked.pages.join(' > '));
    const r = await postForm(token(f.tenantId), { grant_type: 'authorization_code', client_id: f.partnerCenter.webAppId, client_secret: f.partnerCenter.webAppSecret!, code: asked.code!, redirect_uri: REDIRECT_URI, code_verifier: verifier, scope: PC_SCOPE });
    assert.deepEqual(claims(r.body.access_token).amr, ['pwd', 'mfa']);
    const customers = await getJson(`${e.baseUrl}/v1/customers?size=10`, bearer(r.body.access_token));
    assert.equal(customers.status, 200, 'Partner Center takes the MFA token');
  });

  it('a session without MFA is prompted again when the next sign-in asks for it', async () => {
    e.loadScenario('mfa-not-enforced');
    const f = e.facts;
    const first = await completeSignIn({ authorizeUrl: authorizeUrl(e, { clientId: f.partnerCenter.webAppId, scope: PC_SCOPE, challenge: pkcePair().challenge }), username: f.serviceAccount.upn, password: f.serviceAccount.password, consent: 'accept' });
    assert.ok(first.code);
    const again = await completeSignIn({ authorizeUrl: withAmrValues(authorizeUrl(e, { clientId: f.partnerCenter.webAppId, scope: PC_SCOPE, challenge: pkcePair().challenge })), username: '', password: '', totp: () => e.totp(), cookie: first.cookie! });
    assert.deepEqual(again.pages, ['Verify your identity']);
    assert.ok(again.code);
  });

  it('asked for MFA, an account without a method must register one (AADSTS50079 back at the app)', async () => {
    e.loadScenario('no-mfa');
    const f = e.facts;
    const out = await completeSignIn({ authorizeUrl: withAmrValues(authorizeUrl(e, { clientId: f.partnerCenter.webAppId, scope: PC_SCOPE, challenge: pkcePair().challenge })), username: f.serviceAccount.upn, password: f.serviceAccount.password });
    assert.equal(out.code, undefined);
    assert.match(out.errorDescription ?? '', /^AADSTS50079: /);
  });
});

describe('scenarios of this area', () => {
  it('ca-blocked (formerly blocked-by-conditional-access): AADSTS53003 at the sign-in', async () => {
    for (const name of ['ca-blocked', 'blocked-by-conditional-access']) {
      e.loadScenario(name);
      assert.equal(e.scenario.name, 'ca-blocked');
      const { signIn } = await signInServiceAccount(e);
      assert.equal(signIn.error, 'access_denied');
      assert.match(signIn.errorDescription!, /^AADSTS53003: /);
    }
  });

  it(`secret-expires-during-sync: the web app's secret serves ${SECRET_TOKEN_REQUESTS} token requests, then AADSTS7000222; Graph shows it expired`, async () => {
    e.loadScenario('secret-expires-during-sync');
    const f = e.facts;
    const { token: first } = await signInServiceAccount(e);
    assert.equal(first.status, 200);
    const refresh = { grant_type: 'refresh_token', client_id: f.partnerCenter.webAppId, client_secret: f.partnerCenter.webAppSecret!, refresh_token: first.body.refresh_token, scope: PC_SCOPE };
    for (let i = 1; i < SECRET_TOKEN_REQUESTS; i++) assert.equal((await postForm(token(f.tenantId), refresh)).status, 200, `request ${i + 1}`);
    const expired = await postForm(token(f.tenantId), refresh);
    assert.equal(expired.status, 401);
    assert.equal(expired.body.error, 'invalid_client');
    assert.equal(aadCode(expired.body), 7000222);
    assert.equal(aadCode((await postForm(token(f.tenantId), refresh)).body), 7000222, 'and stays expired');
    const webApp = e.scenario.tenants[0]!.applications.find((a) => a.appId === f.partnerCenter.webAppId)!;
    assert.ok(Date.parse(webApp.passwordCredentials[0]!.endDateTime) <= e.now().getTime());
    // The partner's fix: a new secret.
    const [added] = e.patch({ op: 'addClientSecret', appId: f.partnerCenter.webAppId });
    assert.equal((await postForm(token(f.tenantId), { ...refresh, client_secret: added!.secret!.secretText })).status, 200);
  });

  it('setSecretExpiry afterTokenRequests sets the same up on any app', async () => {
    const f = e.facts;
    e.patch({ op: 'setSecretExpiry', afterTokenRequests: 1 });
    const body = { grant_type: 'client_credentials', client_id: f.totalOneApp.appId, client_secret: f.totalOneApp.secret!, scope: 'https://graph.microsoft.com/.default' };
    assert.equal((await postForm(token(f.tenantId), body)).status, 200);
    assert.equal(aadCode((await postForm(token(f.tenantId), body)).body), 7000222);
  });
});
