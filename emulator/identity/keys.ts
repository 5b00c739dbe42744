// The token signing key. One RSA key per process, shared by every emulator started in it, as
// Entra's signing keys are shared by every tenant (a 2048-bit key costs a tenth of a second or more
// of CPU to make, and a test run starts dozens of emulators): nothing outside the emulator may rely
// on it except through the JWKS endpoint, exactly as with Microsoft's rotating keys. Like
// Entra's keys it comes with a self-signed X.509 certificate (JWKS `x5c`), and its key id is the
// certificate's SHA-1 thumbprint, base64url (`kid` = `x5t`), as in Entra's JWKS.
import { createHash, KeyObject } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { selfSignedCertificateDer } from '../key-vault/certificate.ts';

export interface SigningKey {
  kid: string;
  /** base64url SHA-1 thumbprint of the certificate (equals kid). */
  x5t: string;
  /** The certificate, base64 DER (JWKS `x5c[0]`). */
  x5c: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

const YEAR_MS = 365 * 86_400_000;

let processKey: Promise<SigningKey> | undefined;

/** This process's signing key, made on first use. */
export function processSigningKey(): Promise<SigningKey> {
  processKey ??= createSigningKey().catch((error) => {
    processKey = undefined;
    throw error;
  });
  return processKey;
}

export async function createSigningKey(now: Date = new Date()): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(publicKey);
  const der = selfSignedCertificateDer({
    commonName: 'accounts.accesscontrol.windows.net',
    publicKeyDer: KeyObject.from(publicKey).export({ type: 'spki', format: 'der' }),
    privateKey: KeyObject.from(privateKey),
    notBefore: new Date(now.getTime() - 30 * 86_400_000),
    notAfter: new Date(now.getTime() + 5 * YEAR_MS),
  });
  const x5t = createHash('sha1').update(der).digest('base64url');
  return { kid: x5t, x5t, x5c: der.toString('base64'), privateKey, publicKey, publicJwk: { kty: jwk.kty, n: jwk.n, e: jwk.e } };
}
