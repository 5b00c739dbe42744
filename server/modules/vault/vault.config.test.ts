import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, type Env } from '../../config/config.ts';

const vaultConfigFromEnv = (env: Env, options: { dataDir: string }) => loadConfig({ ...env, DATA_DIR: options.dataDir }).vault;

describe('vault settings', () => {
  it('defaults to the local key file in the data folder', () => {
    assert.deepEqual(vaultConfigFromEnv({}, { dataDir: '/srv/data' }), { provider: 'local', keyFile: '/srv/data/vault-keys.json' });
    assert.deepEqual(vaultConfigFromEnv({ VAULT_KEY_FILE: '/etc/totalone/keys.json', VAULT_PROVIDER: '' }, { dataDir: '/srv/data' }), { provider: 'local', keyFile: '/etc/totalone/keys.json' });
  });

  it('Azure needs every one of its settings, and an https vault URL', () => {
    assert.throws(
      () => vaultConfigFromEnv({ VAULT_PROVIDER: 'azure', AZURE_KEY_VAULT_URL: 'http://vault.example' }, { dataDir: '.' }),
      (e: Error) =>
        e instanceof ConfigError &&
        ['AZURE_KEY_VAULT_URL', 'AZURE_KEY_NAME', 'AZURE_KEY_VAULT_TENANT_ID', 'AZURE_KEY_VAULT_CLIENT_ID', 'AZURE_KEY_VAULT_CLIENT_SECRET'].every((k) => e.message.includes(k)),
    );
    const config = vaultConfigFromEnv(
      { VAULT_PROVIDER: 'azure', AZURE_KEY_VAULT_URL: 'https://totalone.vault.azure.net/', AZURE_KEY_NAME: 'totalone-kek', AZURE_KEY_VAULT_TENANT_ID: 't', AZURE_KEY_VAULT_CLIENT_ID: 'c', AZURE_KEY_VAULT_CLIENT_SECRET: 's' },
      { dataDir: '.' },
    );
    assert.deepEqual(config, { provider: 'azure', vaultUrl: 'https://totalone.vault.azure.net', keyName: 'totalone-kek', tenantId: 't', clientId: 'c', clientSecret: 's', caFile: undefined });
  });
});
