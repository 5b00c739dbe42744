import { CryptographyClient, KeyClient, type KeyVaultKey } from '@azure/keyvault-keys';
import type { Logger } from '../../lib/logger.ts';
import { VaultIntegrityError } from './vault.fns.ts';
import { vaultUnavailable, type VaultKeyProvider, type VaultKeyVersions } from './vault.keys.ts';

// Azure Key Vault keys as the vault key: an RSA key that never leaves the vault; data keys of root
// records are wrapped and unwrapped by the service (RSA-OAEP-256). The key name is configured; each
// rotation adds a version; records store the version that wrapped them.
// REST calls made (api-version of the SDK): GET /keys/{name}/[{version}], POST
// /keys/{name}/{version}/wrapkey|unwrapkey, POST /keys/{name}/rotate, PATCH /keys/{name}/{version}
// (retire = disable), GET /keys/{name}/versions.

/** The SDK's credential type (@azure/core-auth), taken through the SDK so we need no other package. */
export type TokenCredential = ConstructorParameters<typeof KeyClient>[1];
type AccessToken = NonNullable<Awaited<ReturnType<TokenCredential['getToken']>>>;

const ALGORITHM = 'RSA-OAEP-256';

export interface AzureKeyVaultOptions {
  vaultUrl: string;
  keyName: string;
  credential: TokenCredential;
  /** PEM to trust in addition to the system store (the emulator's self-signed certificate). */
  ca?: string | undefined;
  timeoutMs?: number;
  logger?: Logger;
}

/** Real vault hosts: the SDK checks the challenge's resource against them; other hosts (the emulator) cannot pass that check. */
const AZURE_VAULT_HOST = /\.vault\.(azure\.net|azure\.cn|usgovcloudapi\.net|microsoftazure\.de)$/i;

export function createAzureKeyVaultProvider(options: AzureKeyVaultOptions): VaultKeyProvider {
  const vaultUrl = options.vaultUrl.replace(/\/+$/, '');
  const { keyName, credential, logger } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const clientOptions = {
    disableChallengeResourceVerification: !AZURE_VAULT_HOST.test(new URL(vaultUrl).hostname),
    ...(options.ca ? { tlsOptions: { ca: options.ca } } : {}),
    // Fail closed quickly: the caller gets VAULT_UNAVAILABLE with a retry hint instead of a hang.
    retryOptions: { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 2_000 },
  };
  const keyClient = new KeyClient(vaultUrl, credential, clientOptions);
  const byVersion = new Map<string, CryptographyClient>();
  const callOptions = () => ({ abortSignal: AbortSignal.timeout(timeoutMs) });

  function cryptoFor(version: string): CryptographyClient {
    // Not a Key Vault version (e.g. sealed under a local key file): not this key.
    if (!/^[A-Za-z0-9-]{1,64}$/.test(version)) throw new VaultIntegrityError('vault-key');
    let client = byVersion.get(version);
    if (!client) {
      client = new CryptographyClient(`${vaultUrl}/keys/${encodeURIComponent(keyName)}/${version}`, credential, clientOptions);
      byVersion.set(version, client);
    }
    return client;
  }

  async function call<T>(operation: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (error instanceof VaultIntegrityError) throw error;
      const status = (error as { statusCode?: number }).statusCode;
      const code = (error as { code?: string }).code;
      // 400 on unwrap: the vault could not unwrap these bytes with that key version.
      if (operation === 'unwrap' && status === 400) throw new VaultIntegrityError('vault-key');
      logger?.error({ operation, status, code, message: (error as Error).message, vaultUrl, keyName }, 'Azure Key Vault call failed');
      const retryAfter = status === 429 ? 60 : 30;
      throw vaultUnavailable(status ? `Azure Key Vault answered ${status}${code ? ` ${code}` : ''}` : 'Azure Key Vault could not be reached', retryAfter);
    }
  }

  async function latest(): Promise<KeyVaultKey & { properties: { version: string } }> {
    const key = await keyClient.getKey(keyName, callOptions());
    if (!key.properties.version) throw new Error('Azure Key Vault returned a key without a version');
    return key as KeyVaultKey & { properties: { version: string } };
  }

  // The ring is the key itself: its address. Key Vault names every version uniquely.
  const ring = `azure:${vaultUrl}/keys/${keyName}`;
  return {
    kind: 'azure',
    ringId: async () => ring,
    async createRing() {
      throw new Error(`Create the key ${keyName} in ${vaultUrl} (RSA, 2048 bits or more); TotalOne never creates Key Vault keys.`);
    },
    pin() {},
    currentVersion: () => call('currentVersion', async () => (await latest()).properties.version),
    wrap: (dataKey) =>
      call('wrap', async () => {
        const key = await latest();
        const result = await cryptoFor(key.properties.version).wrapKey(ALGORITHM, dataKey, callOptions());
        const keyVersion = result.keyID?.split('/').pop() ?? key.properties.version;
        return { wrappedKey: Buffer.from(result.result), keyVersion };
      }),
    unwrap: ({ wrappedKey, keyVersion }) =>
      call('unwrap', async () => {
        const result = await cryptoFor(keyVersion).unwrapKey(ALGORITHM, wrappedKey, callOptions());
        return Buffer.from(result.result);
      }),
    rotate: () =>
      call('rotate', async () => {
        const previous = (await latest()).properties.version;
        const rotated = await keyClient.rotateKey(keyName, callOptions());
        return { previous, active: rotated.properties.version! };
      }),
    retire: (version) =>
      call('retire', async () => {
        // Key Vault keeps every version; retiring disables it (an operator can re-enable it in an emergency).
        await keyClient.updateKeyProperties(keyName, version, { enabled: false, ...callOptions() });
        byVersion.delete(version);
      }),
    versions: () =>
      call('versions', async (): Promise<VaultKeyVersions> => {
        const active = (await latest()).properties.version;
        const usable: string[] = [];
        const retired: string[] = [];
        for await (const properties of keyClient.listPropertiesOfKeyVersions(keyName, callOptions())) {
          if (!properties.version) continue;
          (properties.enabled === false ? retired : usable).push(properties.version);
        }
        return { active, usable, retired };
      }),
  };
}

/**
 * Client credentials for the vault's own tenant (what @azure/identity's ClientSecretCredential
 * does, without the dependency). The tenant is configured, never taken from a server challenge.
 */
export function clientSecretCredential(options: { authorityHost: string; tenantId: string; clientId: string; clientSecret: string; timeoutMs?: number }): TokenCredential {
  let cached: AccessToken | undefined;
  return {
    async getToken(scopes, getTokenOptions) {
      if (getTokenOptions?.tenantId && getTokenOptions.tenantId.toLowerCase() !== options.tenantId.toLowerCase()) {
        throw new Error(`Azure Key Vault asked for a token of tenant ${getTokenOptions.tenantId}, but the vault is configured for tenant ${options.tenantId}`);
      }
      if (cached && cached.expiresOnTimestamp - Date.now() > 120_000) return cached;
      const scope = Array.isArray(scopes) ? scopes.join(' ') : scopes;
      const response = await fetch(`${options.authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(options.tenantId)}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: options.clientId, client_secret: options.clientSecret, scope }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      const body = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
      if (!response.ok || !body.access_token) {
        // Only Microsoft's error code and first line: the description never holds the secret.
        throw new Error(`Token request for Azure Key Vault failed: ${response.status} ${body.error ?? ''} ${(body.error_description ?? '').split('\n')[0]}`.trim());
      }
      cached = { token: body.access_token, expiresOnTimestamp: Date.now() + (body.expires_in ?? 3600) * 1000 };
      return cached;
    },
  };
}
