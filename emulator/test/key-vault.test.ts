// Azure Key Vault keys through the real Azure SDK (@azure/keyvault-keys): https with the
// emulator's certificate, the 401 challenge, client-credentials tokens, wrap/unwrap, rotation
// and access policies.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CryptographyClient, KeyClient } from '@azure/keyvault-keys';
import { startEmulator, type Emulator, type KeyVaultFacts } from '../index.ts';
import { postForm } from './helpers.ts';

// Types of @azure/core-auth, taken through the SDK so the test needs no extra dependency.
type TokenCredential = ConstructorParameters<typeof KeyClient>[1];
type AccessToken = NonNullable<Awaited<ReturnType<TokenCredential['getToken']>>>;

let e: Emulator;
let kv: KeyVaultFacts;

before(async () => {
  e = await startEmulator({ port: 0, keyVault: true });
  kv = e.keyVault!;
});
after(async () => { await e.close(); });

/** A client-credentials TokenCredential against the emulator's token endpoint (what @azure/identity would do). */
function credential(clientId = kv.clientId, clientSecret = kv.clientSecret): TokenCredential & { tenants: string[] } {
  const tenants: string[] = [];
  return {
    tenants,
    async getToken(scopes: string | string[], options?: { tenantId?: string }): Promise<AccessToken> {
      const tenant = options?.tenantId ?? kv.tenantId;
      tenants.push(tenant);
      const scope = Array.isArray(scopes) ? scopes[0]! : scopes;
      const r = await postForm(`${e.baseUrl}/${tenant}/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope });
      if (r.status !== 200) throw new Error(JSON.stringify(r.body));
      return { token: r.body.access_token, expiresOnTimestamp: Date.now() + r.body.expires_in * 1000 };
    },
  };
}

async function vaultGet(url: string, token?: string): Promise<{ status: number; header: string; body: string }> {
  const https = await import('node:https');
  return new Promise((resolve, reject) => {
    https.get(url, { ca: kv.ca, headers: token ? { authorization: `Bearer ${token}` } : {} }, (response) => {
      let body = '';
      response.on('data', (d) => { body += d; });
      response.on('end', () => resolve({ status: response.statusCode!, header: String(response.headers['www-authenticate']), body }));
    }).on('error', reject);
  });
}

const clientOptions = () => ({ disableChallengeResourceVerification: true, tlsOptions: { ca: kv.ca }, retryOptions: { maxRetries: 0 } });

describe('Key Vault keys', () => {
  it('answers an unauthenticated request with the Key Vault challenge, and rejects another tenant\'s token', async () => {
    // Plain fetch does not trust the self-signed certificate: clients must pass it as tlsOptions.ca.
    await assert.rejects(fetch(`${kv.keyId}?api-version=7.6`));
    const challenged = await vaultGet(`${kv.keyId}?api-version=7.6`);
    assert.equal(challenged.status, 401);
    assert.equal(challenged.header, `Bearer authorization="${e.baseUrl}/${kv.tenantId}", resource="https://vault.azure.net"`);
    assert.equal(JSON.parse(challenged.body).error.code, 'Unauthorized');
    const partner = e.facts;
    const token = await credential(partner.totalOneApp.appId, partner.totalOneApp.secret!).getToken('https://vault.azure.net/.default', { tenantId: partner.tenantId });
    const foreign = await vaultGet(`${kv.keyId}?api-version=7.6`, token!.token);
    assert.equal(foreign.status, 401);
    assert.match(JSON.parse(foreign.body).error.message, /^AKV10032: Invalid issuer/);
  });

  it('wraps and unwraps a data key with the Azure SDK, across a key rotation', async () => {
    const cred = credential();
    const keys = new KeyClient(kv.vaultUrl, cred, clientOptions());
    const key = await keys.getKey(kv.keyName);
    assert.equal(key.keyType, 'RSA');
    assert.ok(key.id?.startsWith(`${kv.vaultUrl}/keys/${kv.keyName}/`));
    assert.ok(cred.tenants.every((t) => t === kv.tenantId), 'the SDK took the tenant from the challenge');

    const dataKey = randomBytes(32);
    const crypto = new CryptographyClient(kv.keyId, cred, clientOptions());
    const wrapped = await crypto.wrapKey('RSA-OAEP-256', dataKey);
    assert.ok(wrapped.keyID?.startsWith(`${kv.vaultUrl}/keys/${kv.keyName}/`));
    const unwrapped = await crypto.unwrapKey('RSA-OAEP-256', wrapped.result);
    assert.deepEqual(Buffer.from(unwrapped.result), dataKey);

    const rotated = await keys.rotateKey(kv.keyName);
    assert.notEqual(rotated.properties.version, key.properties.version);
    // Old ciphertexts are unwrapped with the version that wrapped them.
    const oldVersion = new CryptographyClient(wrapped.keyID!, cred, clientOptions());
    assert.deepEqual(Buffer.from((await oldVersion.unwrapKey('RSA-OAEP-256', wrapped.result)).result), dataKey);
    const newWrap = await new CryptographyClient(rotated.id!, cred, clientOptions()).wrapKey('RSA-OAEP', dataKey);
    assert.ok(newWrap.keyID!.endsWith(rotated.properties.version!));
    assert.ok(e.events.some((ev) => ev.type === 'key_vault.unwrapKey'));
  });

  it('refuses tokens of other tenants and apps without the permission', async () => {
    const partner = e.facts;
    const foreign = new CryptographyClient(kv.keyId, credential(partner.totalOneApp.appId, partner.totalOneApp.secret!), clientOptions());
    // The challenge names the vault's tenant, where the partner's app does not exist.
    await assert.rejects(foreign.unwrapKey('RSA-OAEP-256', randomBytes(256)), /700016/);
    e.patch({ op: 'setVaultAccess', keyPermissions: ['get', 'wrapKey'] });
    const limited = new CryptographyClient(kv.keyId, credential(), clientOptions());
    await assert.rejects(limited.unwrapKey('RSA-OAEP-256', randomBytes(256)), (err: { statusCode?: number; code?: string }) => err.statusCode === 403 && err.code === 'Forbidden');
    e.patch({ op: 'setVaultAccess', keyPermissions: ['get', 'list', 'create', 'rotate', 'wrapKey', 'unwrapKey', 'encrypt', 'decrypt'] });
  });

  it('publishes the vault facts on the admin API', async () => {
    const r = await fetch(`${e.baseUrl}/_emulator/key-vault`);
    const body = await r.json();
    assert.equal(body.vaultUrl, kv.vaultUrl);
    assert.match(body.ca, /^-----BEGIN CERTIFICATE-----/);
  });

  it('keeps the partner facts separate from the operator tenant that owns the vault', () => {
    assert.equal(e.allFacts.length, 1);
    assert.notEqual(e.facts.tenantId, kv.tenantId);
    assert.equal(e.scenario.tenants.at(-1)!.kind, 'operator');
  });
});
