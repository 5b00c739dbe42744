// Contract tests of the identity platform endpoints: discovery, keys, authorize pages and the
// token endpoint, including every AADSTS error the product must handle.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { completeSignIn, startEmulator, type Emulator } from '../index.ts';
import {
  PC_SCOPE, REDIRECT_URI, aadCode, authorizeUrl, claims, getJson, loadScenarioSigningInToTotalOneApp, pkcePair, postForm, signInServiceAccount,
} from './helpers.ts';

let e: Emulator;
const tokenUrl = () => `${e.baseUrl}/${e.facts.tenantId}/oauth2/v2.0/token`;

before(async () => { e = await startEmulator({ port: 0, replyAddress: REDIRECT_URI }); });
after(async () => { await e.close(); });
beforeEach(() => loadScenarioSigningInToTotalOneApp(e, 'ready'));

describe('discovery', () => {
  it('serves the v2 OpenID configuration for a tenant id and a domain, with the tenant id in every URL', async () => {
    const f = e.facts;
    for (const segment of [f.tenantId, f.domain]) {
      const r = await getJson(`${e.baseUrl}/${segment}/v2.0/.well-known/openid-configuration`);
      assert.equal(r.status, 200);
      assert.equal(r.body.issuer, `${e.baseUrl}/${f.tenantId}/v2.0`);
      assert.equal(r.body.authorization_endpoint, `${e.baseUrl}/${f.tenantId}/oauth2/v2.0/authorize`);
      assert.equal(r.body.token_endpoint, `${e.baseUrl}/${f.tenantId}/oauth2/v2.0/token`);
      assert.equal(r.body.jwks_uri, `${e.baseUrl}/${f.tenantId}/discovery/v2.0/keys`);
      assert.deepEqual(r.body.token_endpoint_auth_methods_supported, ['client_secret_post', 'private_key_jwt', 'client_secret_basic']);
    }
    const common = await getJson(`${e.baseUrl}/common/v2.0/.well-known/openid-configuration`);
    assert.equal(common.body.issuer, `${e.baseUrl}/{tenantid}/v2.0`);
  });

  it('answers AADSTS90002 for an unknown tenant', async () => {
    const r = await getJson(`${e.baseUrl}/nosuchtenant.onmicrosoft.com/v2.0/.well-known/openid-configuration`);
    assert.equal(r.status, 400);
    assert.equal(aadCode(r.body), 90002);
    assert.equal(r.body.error, 'invalid_tenant', 'discovery says invalid_tenant');
  });

  it('publishes an RSA signing key and MSAL instance discovery', async () => {
    const keys = await getJson(`${e.baseUrl}/${e.facts.tenantId}/discovery/v2.0/keys`);
    assert.equal(keys.status, 200);
    assert.equal(keys.body.keys.length, 1);
    assert.equal(keys.body.keys[0].kty, 'RSA');
    assert.equal(keys.body.keys[0].use, 'sig');
    const instance = await getJson(`${e.baseUrl}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(`${e.baseUrl}/${e.facts.tenantId}/oauth2/v2.0/authorize`)}`);
    assert.equal(instance.body.tenant_discovery_endpoint, `${e.baseUrl}/${e.facts.tenantId}/v2.0/.well-known/openid-configuration`);
    assert.equal(instance.body['api-version'], '1.1');
    assert.ok(Array.isArray(instance.body.metadata[0].aliases));
  });
});

describe('client credentials', () => {
  it('issues a v1 app token for Graph with the granted roles (secret in body)', async () => {
    const f = e.facts;
    const r = await postForm(tokenUrl(), { grant_type: 'client_credentials', client_id: f.totalOneApp.appId, client_secret: f.totalOneApp.secret!, scope: 'https://graph.microsoft.com/.default' });
    assert.equal(r.status, 200);
    assert.equal(r.body.token_type, 'Bearer');
    assert.ok(r.body.expires_in >= 3600 && r.body.expires_in < 5400);
    assert.equal(r.body.refresh_token, undefined);
    const jwks = createLocalJWKSet((await getJson(`${e.baseUrl}/${f.tenantId}/discovery/v2.0/keys`)).body);
    const { payload, protectedHeader } = await jwtVerify(r.body.access_token, jwks);
    assert.equal(protectedHeader.alg, 'RS256');
    assert.equal(payload.iss, `https://sts.windows.net/${f.tenantId}/`);
    assert.equal(payload.aud, 'https://graph.microsoft.com');
    assert.equal(payload.tid, f.tenantId);
    assert.equal(payload.appid, f.totalOneApp.appId);
    assert.equal(payload.idtyp, 'app');
    assert.equal(payload.oid, f.totalOneApp.servicePrincipalId);
    assert.deepEqual([...(payload.roles as string[])].sort(), ['DelegatedAdminRelationship.Read.All', 'Directory.ReadWrite.All', 'Group.ReadWrite.All', 'RoleManagement.ReadWrite.Directory', 'User.ReadWrite.All']);
    assert.equal(payload.scp, undefined);
  });

  it('accepts HTTP Basic client authentication and the v1 endpoint with resource=', async () => {
    const f = e.facts;
    const basic = Buffer.from(`${encodeURIComponent(f.partnerCenter.webAppId)}:${encodeURIComponent(f.partnerCenter.webAppSecret!)}`).toString('base64');
    const r = await postForm(`${e.baseUrl}/${f.tenantId}/oauth2/token`, { grant_type: 'client_credentials', resource: 'https://api.partnercenter.microsoft.com' }, { authorization: `Basic ${basic}` });
    assert.equal(r.status, 200);
    assert.equal(typeof r.body.expires_in, 'string');
    assert.equal(typeof r.body.expires_on, 'string');
    assert.equal(r.body.resource, 'https://api.partnercenter.microsoft.com');
    assert.equal(claims(r.body.access_token).aud, 'https://api.partnercenter.microsoft.com');
    assert.equal(claims(r.body.access_token).roles, undefined, 'no roles claim when the app holds no app permission');
  });

  it('AADSTS7000215 when the secret ID is sent instead of its value, or with a pasted trailing space', async () => {
    const f = e.facts;
    for (const wrong of [f.totalOneApp.secretKeyId!, `${f.totalOneApp.secret} `]) {
      const r = await postForm(tokenUrl(), { grant_type: 'client_credentials', client_id: f.totalOneApp.appId, client_secret: wrong, scope: 'https://graph.microsoft.com/.default' }, { 'client-request-id': 'corr-1' });
      assert.equal(r.status, 401);
      assert.equal(r.body.error, 'invalid_client');
      assert.equal(aadCode(r.body), 7000215);
      assert.equal(r.body.correlation_id, 'corr-1');
      assert.match(r.body.error_description, /client secret value, not the client secret ID/);
      assert.equal(r.body.error_uri, 'https://login.microsoftonline.com/error?code=7000215');
    }
  });

  it('AADSTS7000222 for an expired secret', async () => {
    loadScenarioSigningInToTotalOneApp(e, 'expired-secret');
    const f = e.facts;
    const r = await postForm(tokenUrl(), { grant_type: 'client_credentials', client_id: f.totalOneApp.appId, client_secret: f.totalOneApp.secret!, scope: 'https://graph.microsoft.com/.default' });
    assert.equal(r.status, 401);
    assert.equal(aadCode(r.body), 7000222);
  });

  it('AADSTS700016 for an unknown app, 90002 for an unknown tenant, 7000218 without secret', async () => {
    const f = e.facts;
    const unknownApp = await postForm(tokenUrl(), { grant_type: 'client_credentials', client_id: '11111111-2222-4333-8444-555555555555', client_secret: 'x', scope: 'https://graph.microsoft.com/.default' });
    assert.equal(unknownApp.status, 400);
    assert.equal(unknownApp.body.error, 'unauthorized_client');
    assert.equal(aadCode(unknownApp.body), 700016);
    const unknownTenant = await postForm(`${e.baseUrl}/00000000-1111-4222-8333-444444444444/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: f.totalOneApp.appId, client_secret: f.totalOneApp.secret!, scope: 'https://graph.microsoft.com/.default' });
    assert.equal(aadCode(unknownTenant.body), 90002);
    const noSecret = await postForm(tokenUrl(), { grant_type: 'client_credentials', client_id: f.totalOneApp.appId, scope: 'https://graph.microsoft.com/.default' });
    assert.equal(noSecret.status, 401);
    assert.equal(aadCode(noSecret.body), 7000218);
  });

  it('reads form bodies only: a JSON body misses grant_type (AADSTS900144)', async () => {
    const f = e.facts;
    const r = await fetch(tokenUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'client_credentials', client_id: f.totalOneApp.appId, client_secret: f.totalOneApp.secret, scope: 'https://graph.microsoft.com/.default' }) });
    assert.equal(r.status, 400);
    const body = await r.json();
    assert.equal(aadCode(body), 900144);
    assert.match(body.error_description, /'grant_type'/);
  });

  it('demands <resource>/.default (AADSTS1002012) and a known resource (AADSTS500011)', async () => {
    const f = e.facts;
    const base = { grant_type: 'client_credentials', client_id: f.totalOneApp.appId, client_secret: f.totalOneApp.secret! };
    assert.equal(aadCode((await postForm(tokenUrl(), { ...base, scope: 'User.Read' })).body), 1002012);
    assert.equal(aadCode((await postForm(tokenUrl(), { ...base, scope: 'https://unknown.example.com/.default' })).body), 500011);
  });
});

describe('authorize pages', () => {
  it('shows an error page (no redirect) for an unregistered redirect URI (AADSTS50011), unknown app (700016) and tenant (90002)', async () => {
    const f = e.facts;
    const { challenge } = pkcePair();
    const cases: Array<[string, number]> = [
      [authorizeUrl(e, { clientId: f.partnerCenter.webAppId, scope: PC_SCOPE, challenge, redirectUri: 'https://evil.example.com/callback' }), 50011],
      [authorizeUrl(e, { clientId: '11111111-2222-4333-8444-555555555555', scope: PC_SCOPE, challenge }), 700016],
      [authorizeUrl(e, { clientId: f.partnerCenter.webAppId, scope: PC_SCOPE, challenge, tenant: 'nosuch.onmicrosoft.com' }), 90002],
    ];
    for (const [url, code] of cases) {
      const r = await fetch(url, { redirect: 'manual' });
      assert.equal(r.status, 400);
      assert.match(r.headers.get('content-type')!, /text\/html/);
      assert.match(await r.text(), new RegExp(`AADSTS${code}:`));
    }
  });

  it('returns PKCE problems to the redirect URI (AADSTS9002325)', async () => {
    const r = await fetch(authorizeUrl(e, { clientId: e.facts.partnerCenter.webAppId, scope: PC_SCOPE }), { redirect: 'manual' });
    assert.equal(r.status, 302);
    const location = new URL(r.headers.get('location')!);
    assert.equal(location.origin + location.pathname, REDIRECT_URI);
    assert.equal(location.searchParams.get('error'), 'invalid_request');
    assert.match(location.searchParams.get('error_description')!, /^AADSTS9002325: /);
    assert.equal(location.searchParams.get('state'), 'state-123');
  });

  it('rejects a bad password on the page with AADSTS50126 and lets the user retry', async () => {
    const f = e.facts;
    const out = await completeSignIn({ authorizeUrl: authorizeUrl(e, { clientId: f.partnerCenter.webAppId, scope: PC_SCOPE, challenge: pkcePair().challenge }), username: f.serviceAccount.upn, password: 'wrong' });
    assert.equal(out.code, undefined);
    assert.match(out.pageError!, /AADSTS50126/);
  });

  it('signs in with password, TOTP and consent, then redeems the code for MFA tokens', async () => {
    const f = e.facts;
    const { signIn, token } = await signInServiceAccount(e);
    assert.deepEqual(signIn.pages, ['Sign in to your account', 'Verify your identity', 'Permissions requested']);
    assert.equal(signIn.params.state, 'state-123');
    assert.equal(token.status, 200, JSON.stringify(token.body));
    assert.equal(token.body.scope.split(' ')[0], 'https://api.partnercenter.microsoft.com/user_impersonation');
    assert.ok(token.body.refresh_token);
    const info = JSON.parse(Buffer.from(token.body.client_info, 'base64url').toString());
    assert.deepEqual(info, { uid: f.serviceAccount.id, utid: f.tenantId });
    const at = claims(token.body.access_token);
    assert.equal(at.aud, 'https://api.partnercenter.microsoft.com');
    assert.equal(at.iss, `https://sts.windows.net/${f.tenantId}/`);
    assert.deepEqual(at.amr, ['pwd', 'mfa']);
    assert.equal(at.upn, f.serviceAccount.upn);
    assert.equal(at.oid, f.serviceAccount.id);
    assert.equal(at.scp, 'user_impersonation');
    assert.ok(at.wids.includes('62e90394-69f5-4237-9190-012177145e10'));
    assert.equal(at.ver, '1.0');
    const id = claims(token.body.id_token);
    assert.equal(id.iss, `${e.baseUrl}/${f.tenantId}/v2.0`);
    assert.equal(id.aud, f.partnerCenter.webAppId);
    assert.equal(id.nonce, 'nonce-456');
    assert.equal(id.preferred_username, f.serviceAccount.upn);
    assert.equal(id.amr, undefined);
    assert.notEqual(at.uti, id.uti);
    const consent = e.events.find((ev) => ev.type === 'consent.granted');
    assert.equal(consent?.detail.clientAppId, f.partnerCenter.webAppId);
  });

  it('expands <resource>/.default to the app\'s requested delegated permissions', async () => {
    const { signIn, token } = await signInServiceAccount(e, { scope: 'https://api.partnercenter.microsoft.com/.default offline_access openid' });
    assert.deepEqual(signIn.pages, ['Sign in to your account', 'Verify your identity', 'Permissions requested']);
    assert.equal(token.status, 200, JSON.stringify(token.body));
    assert.equal(claims(token.body.access_token).scp, 'user_impersonation');
  });

  it('refuses to redeem a code twice (54005), with a wrong verifier (501481) or redirect URI (50011)', async () => {
    const f = e.facts;
    const { signIn, token, verifier } = await signInServiceAccount(e);
    assert.equal(token.status, 200);
    const base = { grant_type: 'authorization_code', client_id: f.partnerCenter.webAppId, client_secret: f.partnerCenter.webAppSecret!, code: signIn.code!, redirect_uri: REDIRECT_URI, code_verifier: verifier, scope: PC_SCOPE };
    assert.equal(aadCode((await postForm(tokenUrl(), base)).body), 54005);
    const second = await completeSignIn({ authorizeUrl: authorizeUrl(e, { clientId: f.partnerCenter.webAppId, scope: PC_SCOPE, challenge: pkcePair().challenge }), username: f.serviceAccount.upn, password: f.serviceAccount.password, totp: () => e.totp(), cookie: signIn.cookie! });
    assert.deepEqual(second.pages, [], 'the session cookie signs the user in without pages');
    assert.equal(aadCode((await postForm(tokenUrl(), { ...base, code: second.code!, code_verifier: pkcePair().verifier })).body), 501481);
  });

  it('honours prompt=login even with a session, and returns consent cancel as AADSTS65004', async () => {
    const f = e.facts;
    const first = await signInServiceAccount(e);
    const again = await completeSignIn({
      authorizeUrl: authorizeUrl(e, { clientId: f.totalOneApp.appId, scope: 'User.Read openid', challenge: pkcePair().challenge, prompt: 'login' }),
      username: f.serviceAccount.upn, password: f.serviceAccount.password, totp: () => e.totp(), cookie: first.signIn.cookie!,
    });
    assert.deepEqual(again.pages, ['Sign in to your account', 'Verify your identity'], 'User.Read is admin-consented, so no consent page');
    assert.ok(again.code);
    loadScenarioSigningInToTotalOneApp(e, 'ready');
    const cancelled = await signInServiceAccount(e, { consent: 'cancel' });
    assert.equal(cancelled.signIn.error, 'access_denied');
    assert.equal(cancelled.signIn.params.error_subcode, 'cancel');
    assert.match(cancelled.signIn.errorDescription!, /^AADSTS65004: /);
  });

  it('returns the code with response_mode=form_post', async () => {
    const f = e.facts;
    const out = await completeSignIn({
      authorizeUrl: authorizeUrl(e, { clientId: f.totalOneApp.appId, scope: 'User.Read', challenge: pkcePair().challenge, responseMode: 'form_post' }),
      username: f.serviceAccount.upn, password: f.serviceAccount.password, totp: () => e.totp(),
    });
    assert.ok(out.code);
    assert.equal(out.params.state, 'state-123');
  });

  it('blocks the sign-in with AADSTS53003 when Conditional Access says so', async () => {
    loadScenarioSigningInToTotalOneApp(e, 'ca-blocked');
    const { signIn } = await signInServiceAccount(e);
    assert.equal(signIn.error, 'access_denied');
    assert.match(signIn.errorDescription!, /^AADSTS53003: /);
  });

  it('issues tokens without "mfa" in amr when the user has no MFA (no-mfa)', async () => {
    loadScenarioSigningInToTotalOneApp(e, 'no-mfa');
    const { signIn, token } = await signInServiceAccount(e);
    assert.deepEqual(signIn.pages, ['Sign in to your account', 'Permissions requested']);
    assert.deepEqual(claims(token.body.access_token).amr, ['pwd']);
  });
});

describe('authorize edge cases', () => {
  it('prompt=none: login_required (AADSTS50058) without a session, consent_required (65001) when consent is missing', async () => {
    const f = e.facts;
    const none = await fetch(authorizeUrl(e, { clientId: f.partnerCenter.webAppId, scope: PC_SCOPE, challenge: pkcePair().challenge, prompt: 'none' }), { redirect: 'manual' });
    const location = new URL(none.headers.get('location')!);
    assert.equal(location.searchParams.get('error'), 'login_required');
    assert.match(location.searchParams.get('error_description')!, /^AADSTS50058: /);
    // A session from a sign-in to another app, then a silent request needing new consent.
    const first = await completeSignIn({ authorizeUrl: authorizeUrl(e, { clientId: f.totalOneApp.appId, scope: 'User.Read', challenge: pkcePair().challenge }), username: f.serviceAccount.upn, password: f.serviceAccount.password, totp: () => e.totp() });
    const silent = await completeSignIn({ authorizeUrl: authorizeUrl(e, { clientId: f.partnerCenter.webAppId, scope: PC_SCOPE, challenge: pkcePair().challenge, prompt: 'none' }), username: '', password: '', cookie: first.cookie! });
    assert.equal(silent.error, 'consent_required');
    assert.match(silent.errorDescription!, /^AADSTS65001: /);
  });

  it('prompt=none: interaction_required (AADSTS50076) when the session lacks the MFA a new policy demands', async () => {
    loadScenarioSigningInToTotalOneApp(e, 'no-mfa');
    const f = e.facts;
    const first = await completeSignIn({ authorizeUrl: authorizeUrl(e, { clientId: f.totalOneApp.appId, scope: 'User.Read', challenge: pkcePair().challenge }), username: f.serviceAccount.upn, password: f.serviceAccount.password });
    assert.ok(first.code);
    e.patch({ op: 'setMfa', method: 'approve' }, { op: 'setConditionalAccess', requireMfa: true });
    const silent = await completeSignIn({ authorizeUrl: authorizeUrl(e, { clientId: f.totalOneApp.appId, scope: 'User.Read', challenge: pkcePair().challenge, prompt: 'none' }), username: '', password: '', cookie: first.cookie! });
    assert.equal(silent.error, 'interaction_required');
    assert.match(silent.errorDescription!, /^AADSTS50076: /);
    // Interactively, the same session goes straight to the MFA step.
    const interactive = await completeSignIn({ authorizeUrl: authorizeUrl(e, { clientId: f.totalOneApp.appId, scope: 'User.Read', challenge: pkcePair().challenge }), username: '', password: '', cookie: first.cookie! });
    assert.deepEqual(interactive.pages, ['Verify your identity']);
    assert.ok(interactive.code);
  });

  it('ends the browser session when the password changes', async () => {
    const f = e.facts;
    const url = () => authorizeUrl(e, { clientId: f.totalOneApp.appId, scope: 'User.Read', challenge: pkcePair().challenge });
    const first = await completeSignIn({ authorizeUrl: url(), username: f.serviceAccount.upn, password: f.serviceAccount.password, totp: () => e.totp() });
    assert.deepEqual((await completeSignIn({ authorizeUrl: url(), username: '', password: '', cookie: first.cookie! })).pages, []);
    e.advanceClock(5);
    e.patch({ op: 'changePassword', password: 'Changed#Pass99' });
    const after = await completeSignIn({ authorizeUrl: url(), username: f.serviceAccount.upn, password: 'Changed#Pass99', totp: () => e.totp(), cookie: first.cookie! });
    assert.equal(after.pages[0], 'Sign in to your account');
    assert.ok(after.code);
  });

  it('signs out: the logout endpoint ends the session and redirects', async () => {
    const f = e.facts;
    const url = () => authorizeUrl(e, { clientId: f.totalOneApp.appId, scope: 'User.Read', challenge: pkcePair().challenge });
    const first = await completeSignIn({ authorizeUrl: url(), username: f.serviceAccount.upn, password: f.serviceAccount.password, totp: () => e.totp() });
    const out = await fetch(`${e.baseUrl}/${f.tenantId}/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent('http://localhost:8765/signed-out')}`, { redirect: 'manual', headers: { cookie: first.cookie! } });
    assert.equal(out.status, 302);
    assert.equal(out.headers.get('location'), 'http://localhost:8765/signed-out');
    const again = await completeSignIn({ authorizeUrl: url(), username: f.serviceAccount.upn, password: 'wrong', cookie: first.cookie! });
    assert.equal(again.pages[0], 'Sign in to your account');
  });

  it('names an unknown user (AADSTS50034) and a disabled one (AADSTS50057) on the sign-in page', async () => {
    const f = e.facts;
    const url = () => authorizeUrl(e, { clientId: f.totalOneApp.appId, scope: 'User.Read', challenge: pkcePair().challenge });
    const unknown = await completeSignIn({ authorizeUrl: url(), username: `nobody@${f.domain}`, password: 'x' });
    assert.match(unknown.pageError!, /AADSTS50034/);
    e.patch({ op: 'setAccountEnabled', enabled: false });
    const disabled = await completeSignIn({ authorizeUrl: url(), username: f.serviceAccount.upn, password: f.serviceAccount.password });
    assert.match(disabled.pageError!, /AADSTS50057/);
  });

  it('v1 authorize with resource= and the v1 code redemption', async () => {
    const f = e.facts;
    const { verifier, challenge } = pkcePair();
    const url = new URL(`${e.baseUrl}/${f.tenantId}/oauth2/authorize`);
    url.search = new URLSearchParams({ client_id: f.totalOneApp.appId, response_type: 'code', redirect_uri: REDIRECT_URI, resource: 'https://graph.microsoft.com', code_challenge: challenge, code_challenge_method: 'S256' }).toString();
    const out = await completeSignIn({ authorizeUrl: url.toString(), username: f.serviceAccount.upn, password: f.serviceAccount.password, totp: () => e.totp() });
    assert.ok(out.code, JSON.stringify(out));
    const r = await postForm(`${e.baseUrl}/${f.tenantId}/oauth2/token`, { grant_type: 'authorization_code', client_id: f.totalOneApp.appId, client_secret: f.totalOneApp.secret!, code: out.code!, redirect_uri: REDIRECT_URI, code_verifier: verifier, resource: 'https://graph.microsoft.com' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.resource, 'https://graph.microsoft.com');
    assert.equal(r.body.scope, 'User.Read');
    assert.ok(r.body.refresh_token);
    assert.deepEqual(claims(r.body.access_token).amr, ['pwd', 'mfa']);
  });
});

describe('refresh tokens', () => {
  it('rotates refresh tokens and can switch resource to Graph with consented scopes', async () => {
    const f = e.facts;
    const { token } = await signInServiceAccount(e);
    const refreshed = await postForm(tokenUrl(), { grant_type: 'refresh_token', client_id: f.partnerCenter.webAppId, client_secret: f.partnerCenter.webAppSecret!, refresh_token: token.body.refresh_token, scope: PC_SCOPE, client_info: '1' });
    assert.equal(refreshed.status, 200);
    assert.notEqual(refreshed.body.refresh_token, token.body.refresh_token);
    assert.deepEqual(claims(refreshed.body.access_token).amr, ['pwd', 'mfa']);
    assert.ok(refreshed.body.id_token);
    // The Partner Center web app requests Graph User.Read, not consented yet: AADSTS65001.
    const graph = await postForm(tokenUrl(), { grant_type: 'refresh_token', client_id: f.partnerCenter.webAppId, client_secret: f.partnerCenter.webAppSecret!, refresh_token: refreshed.body.refresh_token, scope: 'User.Read offline_access' });
    assert.equal(graph.status, 400);
    assert.equal(graph.body.error, 'invalid_grant');
    assert.equal(aadCode(graph.body), 65001);
    // v1 endpoint with resource= accepts the same refresh token.
    const v1 = await postForm(`${e.baseUrl}/${f.tenantId}/oauth2/token`, { grant_type: 'refresh_token', client_id: f.partnerCenter.webAppId, client_secret: f.partnerCenter.webAppSecret!, refresh_token: refreshed.body.refresh_token, resource: 'https://api.partnercenter.microsoft.com' });
    assert.equal(v1.status, 200);
    assert.equal(v1.body.resource, 'https://api.partnercenter.microsoft.com');
    assert.equal(v1.body.scope, 'user_impersonation');
  });

  it('expires after 90 days idle (AADSTS700082) but not after 89', async () => {
    const f = e.facts;
    const { token } = await signInServiceAccount(e);
    const body = { grant_type: 'refresh_token', client_id: f.partnerCenter.webAppId, client_secret: f.partnerCenter.webAppSecret!, scope: PC_SCOPE };
    e.advanceClock(89 * 86_400);
    const ok = await postForm(tokenUrl(), { ...body, refresh_token: token.body.refresh_token });
    assert.equal(ok.status, 200);
    e.advanceClock(90 * 86_400);
    const expired = await postForm(tokenUrl(), { ...body, refresh_token: ok.body.refresh_token });
    assert.equal(expired.status, 400);
    assert.equal(aadCode(expired.body), 700082);
  });

  it('is revoked by a password change (AADSTS50173)', async () => {
    const f = e.facts;
    const { token } = await signInServiceAccount(e);
    e.advanceClock(60);
    e.patch({ op: 'changePassword', password: 'N3w#Password!x' });
    const r = await postForm(tokenUrl(), { grant_type: 'refresh_token', client_id: f.partnerCenter.webAppId, client_secret: f.partnerCenter.webAppSecret!, refresh_token: token.body.refresh_token, scope: PC_SCOPE });
    assert.equal(r.status, 400);
    assert.equal(aadCode(r.body), 50173);
  });

  it('answers AADSTS50076 when MFA becomes required for a grant made without MFA, and 53003 when blocked', async () => {
    loadScenarioSigningInToTotalOneApp(e, 'no-mfa');
    const f = e.facts;
    const { token } = await signInServiceAccount(e);
    const body = { grant_type: 'refresh_token', client_id: f.partnerCenter.webAppId, client_secret: f.partnerCenter.webAppSecret!, refresh_token: token.body.refresh_token, scope: PC_SCOPE };
    e.patch({ op: 'setConditionalAccess', requireMfa: true });
    const mfa = await postForm(tokenUrl(), body);
    assert.equal(aadCode(mfa.body), 50076);
    assert.equal(mfa.body.suberror, 'basic_action');
    e.patch({ op: 'setConditionalAccess', requireMfa: false, blockUserSignIn: true });
    assert.equal(aadCode((await postForm(tokenUrl(), body)).body), 53003);
  });
});

describe('password grant (ROPC)', () => {
  it('answers AADSTS50126 for a bad password and AADSTS50076 when MFA is required', async () => {
    const f = e.facts;
    const base = { grant_type: 'password', client_id: f.totalOneApp.appId, client_secret: f.totalOneApp.secret!, username: f.serviceAccount.upn, scope: 'User.Read' };
    const bad = await postForm(tokenUrl(), { ...base, password: 'nope' });
    assert.equal(bad.status, 400);
    assert.equal(aadCode(bad.body), 50126);
    const mfa = await postForm(tokenUrl(), { ...base, password: f.serviceAccount.password });
    assert.equal(aadCode(mfa.body), 50076);
  });

  it('rejects scopes of two resources at once (AADSTS28000)', async () => {
    const f = e.facts;
    const r = await postForm(tokenUrl(), { grant_type: 'password', client_id: f.totalOneApp.appId, client_secret: f.totalOneApp.secret!, username: f.serviceAccount.upn, password: f.serviceAccount.password, scope: 'User.Read https://api.partnercenter.microsoft.com/user_impersonation' });
    assert.equal(aadCode(r.body), 28000);
  });
});
