import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../lib/logger.ts';
import { clientSecretCredential, createAzureKeyVaultProvider } from './vault.keys.azure.ts';
import { createLocalKeyFileProvider } from './vault.keys.local.ts';
import type { VaultKeyProvider } from './vault.keys.ts';

// The vault's settings: a fragment that server/config/config.ts merges into its schema
// (`vaultEnvShape` into the object, `checkVaultEnv` into its superRefine).

export const vaultEnvShape = {
  VAULT_PROVIDER: z.enum(['local', 'azure']).default('local'),
  /** Default: <DATA_DIR>/vault-keys.json */
  VAULT_KEY_FILE: z.string().min(1).optional(),
  AZURE_KEY_VAULT_URL: z.url({ protocol: /^https$/ }).transform((v) => v.replace(/\/+$/, '')).optional(),
  AZURE_KEY_NAME: z.string().regex(/^[0-9A-Za-z-]{1,127}$/, 'must be a Key Vault key name (letters, digits, dashes)').optional(),
  AZURE_KEY_VAULT_TENANT_ID: z.string().min(1).optional(),
  AZURE_KEY_VAULT_CLIENT_ID: z.string().min(1).optional(),
  AZURE_KEY_VAULT_CLIENT_SECRET: z.string().min(1).optional(),
  /** PEM file to trust for the vault's TLS certificate (the emulator's self-signed one). */
  AZURE_KEY_VAULT_CA_FILE: z.string().min(1).optional(),
};

type VaultEnv = z.infer<z.ZodObject<typeof vaultEnvShape>>;

/** Settings that go together: Azure needs all of its own. */
export function checkVaultEnv(env: VaultEnv, ctx: z.RefinementCtx): void {
  if (env.VAULT_PROVIDER !== 'azure') return;
  for (const key of ['AZURE_KEY_VAULT_URL', 'AZURE_KEY_NAME', 'AZURE_KEY_VAULT_TENANT_ID', 'AZURE_KEY_VAULT_CLIENT_ID', 'AZURE_KEY_VAULT_CLIENT_SECRET'] as const) {
    if (env[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'is required when VAULT_PROVIDER=azure' });
  }
}

export type VaultConfig =
  | { provider: 'local'; keyFile: string }
  | { provider: 'azure'; vaultUrl: string; keyName: string; tenantId: string; clientId: string; clientSecret: string; caFile: string | undefined };

export function vaultConfigFrom(env: VaultEnv, dataDir: string): VaultConfig {
  if (env.VAULT_PROVIDER === 'local') return { provider: 'local', keyFile: env.VAULT_KEY_FILE ?? join(dataDir, 'vault-keys.json') };
  return {
    provider: 'azure',
    vaultUrl: env.AZURE_KEY_VAULT_URL!,
    keyName: env.AZURE_KEY_NAME!,
    tenantId: env.AZURE_KEY_VAULT_TENANT_ID!,
    clientId: env.AZURE_KEY_VAULT_CLIENT_ID!,
    clientSecret: env.AZURE_KEY_VAULT_CLIENT_SECRET!,
    caFile: env.AZURE_KEY_VAULT_CA_FILE,
  };
}

export function createKeyProvider(config: VaultConfig, options: { authorityHost: string; logger: Logger; ca?: string }): VaultKeyProvider {
  if (config.provider === 'local') return createLocalKeyFileProvider({ path: config.keyFile });
  const ca = options.ca ?? (config.caFile ? readFileSync(config.caFile, 'utf8') : undefined);
  return createAzureKeyVaultProvider({
    vaultUrl: config.vaultUrl,
    keyName: config.keyName,
    ca,
    logger: options.logger,
    credential: clientSecretCredential({ authorityHost: options.authorityHost, tenantId: config.tenantId, clientId: config.clientId, clientSecret: config.clientSecret }),
  });
}
