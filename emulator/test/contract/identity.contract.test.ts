// Contract: the identity platform's answers the product reads, against the samples on Microsoft Learn.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { completeSignIn, startEmulator, type Emulator } from '../../index.ts';
import { PC_SCOPE, REDIRECT_URI, authorizeUrl, getJson, pkcePair, postForm } from '../helpers.ts';
import { assertShape } from './shape.ts';

let e: Emulator;
before(async () => { e = await startEmulator({ port: 0, replyAddress: REDIRECT_URI }); });
after(async () => { await e.close(); });

const tokenUrl = () => `${e.baseUrl}/${e.facts.tenantId}/oauth2/v2.0/token`;
const clientCredentials = (scope = 'https://graph.microsoft.com/.default') => postForm(tokenUrl(), {
  client_id: e.facts.totalOneApp.appId, scope, client_secret: e.facts.totalOneApp.secret!, grant_type: 'client_credentials',
});

describe('token endpoint (contract)', () => {
  // https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow#successful-response
  it('client credentials: the successful response of the client credentials flow page', async () => {
    const sample = {
      token_type: 'Bearer',
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6Ik1uQ19WWmNBVGZNNXBP...',
    };
    const r = await clientCredentials();
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.match(r.headers.get('cache-control') ?? '', /no-store/);
    assertShape(r.body, sample);
    assert.equal(r.body.token_type, 'Bearer');
    assert.equal(r.body.access_token.split('.').length, 3, 'a JWT');
  });

  // https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#successful-response
  it('authorization code redemption: the successful response of the authorization code flow page', async () => {
    const sample = {
      access_token: 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6Ik5HVEZ2ZEstZnl0aEV1Q...',
      token_type: 'Bearer',
      expires_in: 3599,
      scope: 'https%3A%2F%2Fgraph.microsoft.com%2Fmail.read',
      refresh_token: 'AwABAAAAvPM1KaPlrEqdFSBzjqfTGAMxZGUTdM0t4B4...',
      id_token: 'eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.eyJhdWQiOiIyZDRkMTFhMi1mODE0LTQ2YTctOD...',
    };
    const f = e.facts;
    const { verifier, challenge } = pkcePair();
    // As the product sends it: the Partner Center web app, PKCE, amr_values=mfa, offline_access and openid.
    const url = new URL(authorizeUrl(e, { clientId: f.partnerCenter.webAppId, scope: `${PC_SCOPE}`, challenge }));
    url.searchParams.set('amr_values', 'mfa');
    const signIn = await completeSignIn({ authorizeUrl: url.toString(), username: f.serviceAccount.upn, password: f.serviceAccount.password, totp: () => e.totp(), consent: 'accept' });
    assert.ok(signIn.code, JSON.stringify(signIn));
    const r = await postForm(tokenUrl(), {
      client_id: f.partnerCenter.webAppId, scope: PC_SCOPE, code: signIn.code!, redirect_uri: REDIRECT_URI,
      grant_type: 'authorization_code', code_verifier: verifier, client_secret: f.partnerCenter.webAppSecret!,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assertShape(r.body, sample);

    // https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#refresh-the-access-token:
    // the successful refresh response has the same members (and a new refresh token).
    const refreshed = await postForm(tokenUrl(), {
      client_id: f.partnerCenter.webAppId, scope: PC_SCOPE, refresh_token: r.body.refresh_token, grant_type: 'refresh_token', client_secret: f.partnerCenter.webAppSecret!,
    });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assertShape(refreshed.body, sample);
    assert.notEqual(refreshed.body.refresh_token, r.body.refresh_token);
  });

  // https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#error-response
  it('an error: the error response of the authorization code flow page, description lines split by CRLF', async () => {
    const sample = {
      error: 'invalid_scope',
      error_description: "AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope https://foo.microsoft.com/mail.read is not valid.\r\nTrace ID: 0000aaaa-11bb-cccc-dd22-eeeeee333333\r\nCorrelation ID: aaaa0000-bb11-2222-33cc-444444dddddd\r\nTimestamp: 2016-01-09 02:02:12Z",
      error_codes: [70011],
      timestamp: '2016-01-09 02:02:12Z',
      trace_id: '0000aaaa-11bb-cccc-dd22-eeeeee333333',
      correlation_id: 'aaaa0000-bb11-2222-33cc-444444dddddd',
    };
    const r = await clientCredentials('https://graph.microsoft.com/Mail.Read');
    assert.equal(r.status, 400);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assertShape(r.body, sample);
    assert.equal(r.body.error, 'invalid_scope');
    assert.match(r.body.error_description, /^AADSTS\d+: [^\r\n]+\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    assert.match(r.body.timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/, 'the timestamp format of the sample');
    assert.equal(r.body.error_description.includes(r.body.trace_id), true);
  });
});

describe('discovery and keys (contract)', () => {
  // https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc#sample-response
  const sample = {
    authorization_endpoint: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize',
    token_endpoint: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token',
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt'],
    jwks_uri: 'https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys',
    userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
    subject_types_supported: ['pairwise'],
  };

  it('the OpenID configuration document of the OIDC page, for a tenant and for /common', async () => {
    for (const tenant of [e.facts.tenantId, e.facts.domain, 'common', 'organizations']) {
      const r = await getJson(`${e.baseUrl}/${tenant}/v2.0/.well-known/openid-configuration`);
      assert.equal(r.status, 200, tenant);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      assertShape(r.body, sample);
      for (const method of sample.token_endpoint_auth_methods_supported) assert.ok(r.body.token_endpoint_auth_methods_supported.includes(method), method);
      assert.deepEqual(r.body.subject_types_supported, ['pairwise']);
    }
  });

  // Keys: "Validate tokens" (https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens#validate-tokens):
  // the token header names its key (kid, x5t); the keys are at the jwks_uri of the discovery document,
  // as JSON Web Keys (RFC 7517 members, the x5c/x5t members as listed for Graph's trustFrameworkKey:
  // https://learn.microsoft.com/en-us/graph/api/resources/trustframeworkkey).
  it('the jwks_uri serves the key named in the tokens\' header, with the certificate', async () => {
    const keySample = { keys: [{ kty: 'RSA', use: 'sig', kid: 'kid', x5t: 'x5t', n: 'n', e: 'AQAB', x5c: ['MIIC...'] }] };
    const config = await getJson(`${e.baseUrl}/${e.facts.tenantId}/v2.0/.well-known/openid-configuration`);
    const jwks = await getJson(config.body.jwks_uri);
    assert.equal(jwks.status, 200);
    assertShape(jwks.body, keySample);
    const header = decodeProtectedHeader((await clientCredentials()).body.access_token);
    assert.equal(header.alg, 'RS256');
    const key = jwks.body.keys.find((k: { kid: string }) => k.kid === header.kid);
    assert.ok(key, 'the signing key is published');
    assert.equal(key.x5t, header.x5t);
  });
});
