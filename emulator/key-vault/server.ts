// Azure Key Vault keys on an https listener: the challenge (401 + WWW-Authenticate) the Azure
// SDK expects, bearer validation against the vault's tenant, access policies, and the key
// operations envelope encryption needs (get, create, rotate, wrapkey/unwrapkey, encrypt/decrypt).
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { verifyAccessToken } from '../identity/tokens.ts';
import { KEY_VAULT_RESOURCE } from '../microsoft-catalog.ts';
import type { KeyVaultKeyPermission, ScenarioKeyVault } from '../scenarios/types.ts';
import { logEvent, logRequest, type EmulatorState } from '../state.ts';
import { createSelfSignedCertificate } from './certificate.ts';
import { VaultKeyStore, WRAP_ALGORITHMS, unwrap, wrap, type VaultKeyVersion, type WrapAlgorithm } from './store.ts';

class VaultError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly inner?: string) {
    super(message);
  }
}

export interface KeyVaultListener {
  /** e.g. https://127.0.0.1:44123 — what the product configures as its vault URL. */
  vaultUrl: string;
  /** PEM of the self-signed certificate to trust (tlsOptions.ca or NODE_EXTRA_CA_CERTS). */
  ca: string;
  close(): Promise<void>;
}

function vaultOf(state: EmulatorState): ScenarioKeyVault {
  const vault = state.scenario.keyVault;
  if (!vault) throw new VaultError(404, 'VaultNotFound', 'The running scenario has no Key Vault.');
  return vault;
}

export async function startKeyVault(state: EmulatorState, options: { host: string; port?: number }): Promise<KeyVaultListener> {
  const { certPem, keyPem } = createSelfSignedCertificate('TotalOne emulator Key Vault', state.now());
  const store = new VaultKeyStore();
  const app = Fastify({ https: { cert: certPem, key: keyPem }, logger: false });
  let vaultUrl = '';

  const challenge = () => {
    const vault = state.scenario.keyVault;
    return `Bearer authorization="${state.baseUrl}/${vault?.tenantId ?? 'common'}", resource="${KEY_VAULT_RESOURCE}"`;
  };

  // Authentication runs before body parsing: the SDK's first, unauthenticated request may carry no body.
  app.addHook('onRequest', async (request, reply) => {
    if (!request.headers.authorization) {
      return reply.status(401).header('www-authenticate', challenge())
        .send({ error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } });
    }
    return undefined;
  });
  app.addHook('onResponse', async (request, reply) => {
    logRequest(state, { at: state.now().toISOString(), service: 'key-vault', method: request.method, path: request.url, status: reply.statusCode, durationMs: Math.round(reply.elapsedTime) });
  });

  async function authorize(request: FastifyRequest, permission: KeyVaultKeyPermission): Promise<string> {
    const vault = vaultOf(state);
    const result = await verifyAccessToken(state, request.headers.authorization, [KEY_VAULT_RESOURCE, `${KEY_VAULT_RESOURCE}/`]);
    if (!result.ok) throw new VaultError(401, 'Unauthorized', result.reason === 'audience' ? `AKV10022: Invalid audience. Expected ${KEY_VAULT_RESOURCE}.` : 'AKV10013: Access token is not valid.');
    const { tid, appid, oid } = result.claims;
    if (tid !== vault.tenantId) throw new VaultError(401, 'Unauthorized', `AKV10032: Invalid issuer. Expected one of https://sts.windows.net/${vault.tenantId}/, found https://sts.windows.net/${String(tid)}/.`);
    const policy = vault.accessPolicies.find((p) => p.appId === appid);
    if (!policy || !policy.keyPermissions.includes(permission)) {
      throw new VaultError(403, 'Forbidden', `The user, group or application 'appid=${String(appid)};oid=${String(oid)};iss=https://sts.windows.net/${String(tid)}/' does not have keys ${permission} permission on key vault '${vault.name};location=westeurope'.`, 'AccessDenied');
    }
    return String(appid);
  }

  function keyBundle(name: string, key: VaultKeyVersion) {
    return {
      key: { kid: `${vaultUrl}/keys/${name}/${key.version}`, kty: 'RSA', key_ops: ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'], n: key.n, e: key.e },
      attributes: { enabled: true, created: key.created, updated: key.created, recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90, exportable: false },
    };
  }

  function existingKey(name: string, version: string): VaultKeyVersion {
    const vault = vaultOf(state);
    if (vault.keyNames.includes(name)) store.ensure(name, Math.floor(state.now().getTime() / 1000));
    const key = store.find(name, version);
    if (!key) throw new VaultError(404, 'KeyNotFound', `A key with (name/id) ${name}${version ? `/${version}` : ''} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command.`);
    return key;
  }

  function algorithmOf(body: Record<string, unknown>): WrapAlgorithm {
    const alg = body.alg;
    if (typeof alg !== 'string' || !WRAP_ALGORITHMS.includes(alg as WrapAlgorithm)) throw new VaultError(400, 'BadParameter', `Invalid algorithm '${String(alg)}'. Supported here: ${WRAP_ALGORITHMS.join(', ')}.`);
    return alg as WrapAlgorithm;
  }

  function valueOf(body: Record<string, unknown>): Buffer {
    if (typeof body.value !== 'string' || !body.value) throw new VaultError(400, 'BadParameter', 'Property value is required.');
    return Buffer.from(body.value, 'base64url');
  }

  async function handle(request: FastifyRequest, reply: FastifyReply) {
    try {
      const q = request.query as Record<string, string | undefined>;
      if (!q['api-version']) throw new VaultError(400, 'BadParameter', 'The request URI must contain an api-version query parameter.');
      // /keys/{name}[/{version}][/{operation}] — version may be empty (/keys/name//wrapkey).
      const segments = request.url.split('?')[0]!.split('/').slice(2).map(decodeURIComponent);
      const name = segments[0] ?? '';
      const body = (request.body ?? {}) as Record<string, unknown>;
      const nowS = Math.floor(state.now().getTime() / 1000);
      if (request.method === 'GET' && segments.length <= 2) {
        await authorize(request, 'get');
        return keyBundle(name, existingKey(name, segments[1] ?? ''));
      }
      if (request.method === 'POST' && segments.length === 2 && (segments[1] === 'create' || segments[1] === 'rotate')) {
        const permission = segments[1] === 'create' ? 'create' : 'rotate';
        const appId = await authorize(request, permission);
        if (permission === 'create' && body.kty !== undefined && body.kty !== 'RSA' && body.kty !== 'RSA-HSM') throw new VaultError(400, 'BadParameter', 'Only RSA keys are emulated.');
        if (permission === 'rotate') existingKey(name, '');
        const key = store.addVersion(name, nowS);
        const vault = vaultOf(state);
        if (!vault.keyNames.includes(name)) vault.keyNames.push(name);
        logEvent(state, `key_vault.${permission}`, { name, version: key.version, by: appId }, vault.tenantId);
        return keyBundle(name, key);
      }
      if (request.method === 'POST' && segments.length === 3) {
        const [, version, operation] = segments as [string, string, string];
        const permission = ({ wrapkey: 'wrapKey', unwrapkey: 'unwrapKey', encrypt: 'encrypt', decrypt: 'decrypt' } as const)[operation.toLowerCase() as 'wrapkey'];
        if (!permission) throw new VaultError(404, 'NotFound', `Unknown key operation '${operation}'.`);
        const appId = await authorize(request, permission);
        const key = existingKey(name, version);
        const alg = algorithmOf(body);
        const input = valueOf(body);
        let output: Buffer;
        if (permission === 'wrapKey' || permission === 'encrypt') {
          output = wrap(key, alg, input);
        } else {
          try {
            output = unwrap(key, alg, input);
          } catch {
            throw new VaultError(400, 'BadParameter', 'The parameter is incorrect: the value could not be unwrapped with this key and algorithm.');
          }
        }
        logEvent(state, `key_vault.${permission}`, { name, version: key.version, alg, by: appId }, vaultOf(state).tenantId);
        return { kid: `${vaultUrl}/keys/${name}/${key.version}`, value: output.toString('base64url') };
      }
      throw new VaultError(404, 'NotFound', `The emulator does not serve ${request.method} ${request.url.split('?')[0]}.`);
    } catch (err) {
      if (!(err instanceof VaultError)) throw err;
      if (err.status === 401) reply.header('www-authenticate', challenge());
      return reply.status(err.status).send({ error: { code: err.code, message: err.message, ...(err.inner ? { innererror: { code: err.inner } } : {}) } });
    }
  }

  app.route({ method: ['GET', 'POST'], url: '/keys/*', handler: handle });
  await app.listen({ host: options.host, port: options.port ?? 0 });
  const { port } = app.server.address() as AddressInfo;
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host.includes(':') ? `[${options.host}]` : options.host;
  vaultUrl = `https://${host}:${port}`;
  return { vaultUrl, ca: certPem, close: () => app.close() };
}
