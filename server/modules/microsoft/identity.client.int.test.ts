import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { completeSignIn, startEmulator, type Emulator } from '../../../emulator/index.ts';
import { MicrosoftIdentityError } from './microsoft.errors.ts';
import { createIdentityClient, type IdentityClient } from './identity.client.ts';

const redirectUri = 'http://localhost:3000/connect/microsoft/callback';
const pcScope = 'https://api.partnercenter.microsoft.com/user_impersonation offline_access openid profile';

describe('identity client against the emulator', () => {
  let emulator: Emulator;
  let identity: IdentityClient;
  before(async () => {
    emulator = await startEmulator({ scenario: 'ready', replyAddress: redirectUri });
    identity = createIdentityClient({ authorityHost: emulator.endpoints.authorityHost });
  });
  after(() => emulator.close());

  it('resolves a domain to the tenant id, and explains an unknown tenant', async () => {
    assert.equal(await identity.resolveTenantId(emulator.facts.domain), emulator.facts.tenantId);
    await assert.rejects(identity.resolveTenantId('nobody.onmicrosoft.com'), (error: unknown) => {
      assert.ok(error instanceof MicrosoftIdentityError);
      assert.equal(error.aadsts, 90002);
      assert.match(error.message, /primary domain/);
      return true;
    });
  });

  it('gets an app-only Graph token with the granted application roles', async () => {
    const f = emulator.facts;
    const token = await identity.clientCredentials({ tenant: f.domain, clientId: f.totalOneApp.appId, clientSecret: f.totalOneApp.secret!, scope: 'https://graph.microsoft.com/.default', context: 'Entra app' });
    assert.deepEqual(new Set(token.accessClaims.roles as string[]), new Set(['DelegatedAdminRelationship.Read.All', 'Directory.ReadWrite.All', 'Group.ReadWrite.All', 'RoleManagement.ReadWrite.Directory', 'User.ReadWrite.All']));
  });

  it('maps a secret ID pasted as the secret to AADSTS7000215 with the portal fix', async () => {
    const f = emulator.facts;
    await assert.rejects(
      identity.clientCredentials({ tenant: f.tenantId, clientId: f.totalOneApp.appId, clientSecret: f.totalOneApp.secretKeyId!, scope: 'https://graph.microsoft.com/.default', context: 'Entra app' }),
      (error: unknown) => {
        assert.ok(error instanceof MicrosoftIdentityError);
        assert.equal(error.code, 'MICROSOFT_AADSTS7000215');
        assert.match(error.message, /Certificates & secrets/);
        return true;
      },
    );
  });

  it('signs in with code + PKCE + nonce, gets MFA tokens and a refresh token that refreshes', async () => {
    const f = emulator.facts;
    const request = await identity.beginSignIn({ tenant: f.domain, clientId: f.partnerCenter.webAppId, clientSecret: f.partnerCenter.webAppSecret!, redirectUri, scope: pcScope });
    const url = new URL(request.url);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(url.searchParams.get('prompt'), 'login');
    assert.equal(url.searchParams.get('amr_values'), null, 'MFA is asked for only when the caller says so');
    const outcome = await completeSignIn({ authorizeUrl: request.url, username: f.serviceAccount.upn, password: f.serviceAccount.password, totp: () => emulator.totp(), consent: 'accept' });
    assert.ok(outcome.code, JSON.stringify(outcome));
    const tokens = await identity.completeSignIn({ tenantId: request.tenantId, clientId: f.partnerCenter.webAppId, clientSecret: f.partnerCenter.webAppSecret!, callbackUrl: outcome.redirectUrl!, state: request.state, nonce: request.nonce, codeVerifier: request.codeVerifier });
    assert.ok(tokens.refreshToken);
    assert.deepEqual(tokens.accessClaims.amr, ['pwd', 'mfa']);
    assert.equal(tokens.idClaims?.tid, f.tenantId);
    const refreshed = await identity.refresh({ tenantId: request.tenantId, clientId: f.partnerCenter.webAppId, clientSecret: f.partnerCenter.webAppSecret!, refreshToken: tokens.refreshToken!, scope: 'https://api.partnercenter.microsoft.com/user_impersonation offline_access', context: 'Partner Center' });
    assert.ok(refreshed.accessToken);
    assert.notEqual(refreshed.refreshToken, tokens.refreshToken, 'refresh tokens rotate');
  });

  // Asking Entra for MFA in the authorize request: `amr_values=mfa`, as Microsoft's own Partner
  // Center consent sample does (https://github.com/microsoft/Partner-Center-DotNet-Samples/blob/master/secure-app-model/keyvault/PartnerConsent/App_Start/Startup.Auth.cs),
  // the parameter documented in MS-OAPX 2.2.2.10 amr_values
  // (https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-oapx/0fc398ca-88d0-4118-ae60-c3033e396e60).
  it('asks for multi-factor authentication with amr_values=mfa when told to', async () => {
    const f = emulator.facts;
    const request = await identity.beginSignIn({ tenant: f.domain, clientId: f.partnerCenter.webAppId, clientSecret: f.partnerCenter.webAppSecret!, redirectUri, scope: pcScope, requireMfa: true });
    const url = new URL(request.url);
    assert.equal(url.searchParams.get('amr_values'), 'mfa');
    assert.equal(url.searchParams.get('prompt'), 'login');
  });

  it('refuses a callback with the wrong state or without the right PKCE verifier', async () => {
    const f = emulator.facts;
    const request = await identity.beginSignIn({ tenant: f.domain, clientId: f.partnerCenter.webAppId, clientSecret: f.partnerCenter.webAppSecret!, redirectUri, scope: pcScope });
    const outcome = await completeSignIn({ authorizeUrl: request.url, username: f.serviceAccount.upn, password: f.serviceAccount.password, totp: () => emulator.totp(), consent: 'accept' });
    const base = { tenantId: request.tenantId, clientId: f.partnerCenter.webAppId, clientSecret: f.partnerCenter.webAppSecret!, callbackUrl: outcome.redirectUrl!, nonce: request.nonce };
    await assert.rejects(identity.completeSignIn({ ...base, state: 'forged', codeVerifier: request.codeVerifier }));
    await assert.rejects(identity.completeSignIn({ ...base, state: request.state, codeVerifier: 'x'.repeat(43) }), MicrosoftIdentityError);
  });
  it('judges every secret offered: a wrong secret with the right length and last characters is refused after the right one worked', async () => {
    const f = emulator.facts;
    const real = f.totalOneApp.secret!;
    const input = { tenant: f.domain, clientId: f.totalOneApp.appId, scope: 'https://graph.microsoft.com/.default', context: 'Entra app' };
    assert.ok((await identity.clientCredentials({ ...input, clientSecret: real })).accessToken);
    const forged = `${'Q'.repeat(real.length - 4)}${real.slice(-4)}`;
    await assert.rejects(identity.clientCredentials({ ...input, clientSecret: forged }), (error: unknown) => {
      assert.ok(error instanceof MicrosoftIdentityError, String(error));
      assert.match(error.code, /MICROSOFT_AADSTS7000215/);
      return true;
    });
  });

  it('accepts tokens issued on a moved clock when the app\u2019s clock moved with it (token expiry mid-import is testable)', async () => {
    const f = emulator.facts;
    emulator.advanceClock(3 * 24 * 3600);
    try {
      const moved = createIdentityClient({ authorityHost: emulator.endpoints.authorityHost, now: () => emulator.now() });
      const request = await moved.beginSignIn({ tenant: f.domain, clientId: f.partnerCenter.webAppId, clientSecret: f.partnerCenter.webAppSecret!, redirectUri, scope: pcScope });
      const outcome = await completeSignIn({ authorizeUrl: request.url, username: f.serviceAccount.upn, password: f.serviceAccount.password, totp: () => emulator.totp(), consent: 'accept' });
      assert.ok(outcome.code, JSON.stringify(outcome));
      const tokens = await moved.completeSignIn({ tenantId: request.tenantId, clientId: f.partnerCenter.webAppId, clientSecret: f.partnerCenter.webAppSecret!, callbackUrl: outcome.redirectUrl!, state: request.state, nonce: request.nonce, codeVerifier: request.codeVerifier });
      assert.ok(tokens.expiresAt.getTime() > emulator.now().getTime(), 'expiry is counted on the moved clock');
      // The same tokens on an unmoved clock: issued three days in the future, refused.
      const unmoved = createIdentityClient({ authorityHost: emulator.endpoints.authorityHost });
      const again = await unmoved.beginSignIn({ tenant: f.domain, clientId: f.partnerCenter.webAppId, clientSecret: f.partnerCenter.webAppSecret!, redirectUri, scope: pcScope });
      const second = await completeSignIn({ authorizeUrl: again.url, username: f.serviceAccount.upn, password: f.serviceAccount.password, totp: () => emulator.totp(), consent: 'accept' });
      await assert.rejects(unmoved.completeSignIn({ tenantId: again.tenantId, clientId: f.partnerCenter.webAppId, clientSecret: f.partnerCenter.webAppSecret!, callbackUrl: second.redirectUrl!, state: again.state, nonce: again.nonce, codeVerifier: again.codeVerifier }));
    } finally {
      emulator.advanceClock(-3 * 24 * 3600);
    }
  });
});
