// Key material of the emulated vault. It lives as long as the emulator instance (not reset
// with the scenario), so data wrapped before a loadScenario() can still be unwrapped.
import { createPrivateKey, generateKeyPairSync, privateDecrypt, publicEncrypt, constants, randomBytes, type KeyObject } from 'node:crypto';

export interface VaultKeyVersion {
  version: string;
  privateKey: KeyObject;
  n: string; // base64url
  e: string;
  created: number; // epoch seconds
}

// RSA1_5 is left out: Node 20 refuses PKCS#1 v1.5 decryption (CVE-2023-46809), and the product must not use it.
export type WrapAlgorithm = 'RSA-OAEP' | 'RSA-OAEP-256';
export const WRAP_ALGORITHMS: WrapAlgorithm[] = ['RSA-OAEP', 'RSA-OAEP-256'];

export class VaultKeyStore {
  private readonly keys = new Map<string, VaultKeyVersion[]>();

  versions(name: string): VaultKeyVersion[] | undefined {
    return this.keys.get(name);
  }

  /** The named version, or the newest when version is empty. */
  find(name: string, version: string): VaultKeyVersion | undefined {
    const list = this.keys.get(name);
    if (!list) return undefined;
    return version ? list.find((k) => k.version === version) : list.at(-1);
  }

  /** Creates the key (or a new version of it, which is what Key Vault's create and rotate do). */
  addVersion(name: string, nowSeconds: number): VaultKeyVersion {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = privateKey.export({ format: 'jwk' });
    const entry: VaultKeyVersion = { version: randomBytes(16).toString('hex'), privateKey: createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' })), n: jwk.n!, e: jwk.e!, created: nowSeconds };
    const list = this.keys.get(name) ?? [];
    list.push(entry);
    this.keys.set(name, list);
    return entry;
  }

  ensure(name: string, nowSeconds: number): void {
    if (!this.keys.has(name)) this.addVersion(name, nowSeconds);
  }
}

function padding(alg: WrapAlgorithm) {
  return { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: alg === 'RSA-OAEP-256' ? 'sha256' : 'sha1' };
}

export function wrap(key: VaultKeyVersion, alg: WrapAlgorithm, value: Buffer): Buffer {
  return publicEncrypt({ key: key.privateKey, ...padding(alg) }, value);
}

export function unwrap(key: VaultKeyVersion, alg: WrapAlgorithm, value: Buffer): Buffer {
  return privateDecrypt({ key: key.privateKey, ...padding(alg) }, value);
}
