import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { createSelfSignedCertificate, selfSignedCertificateDer } from './certificate.ts';

// A small key: these tests are about the encoding, not the key.
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
const der = (serial?: Buffer) =>
  selfSignedCertificateDer({
    commonName: 'emulator.test',
    publicKeyDer: publicKey.export({ type: 'spki', format: 'der' }),
    privateKey,
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2027-01-01T00:00:00Z'),
    serial,
  });

describe('self-signed certificates', () => {
  it('encode every serial in DER’s shortest form, so OpenSSL reads them (leading zero bytes, top bit set, zero)', () => {
    // A random serial whose first byte comes out 0x00 was once written with its leading zero, which
    // OpenSSL refuses ("illegal padding"): about one start in 256 failed.
    const cases: Array<[string, string]> = [
      ['0005a1b2c3d4e5f60718293a4b5c6d7e', '05A1B2C3D4E5F60718293A4B5C6D7E'],
      ['000000ff', 'FF'],
      ['7f00', '7F00'],
      ['80', '80'],
      ['00', '0'],
    ];
    for (const [hex, expected] of cases) {
      const certificate = new X509Certificate(der(Buffer.from(hex, 'hex')));
      assert.equal(certificate.serialNumber, expected, `serial ${hex}`);
      assert.ok(certificate.verify(publicKey), `serial ${hex}: the signature verifies`);
    }
  });

  it('made with random serials, are always read back', () => {
    for (let i = 0; i < 300; i++) assert.doesNotThrow(() => new X509Certificate(der()));
  });

  it('for TLS: PEM certificate and key that belong together, for localhost', () => {
    const { certPem, keyPem } = createSelfSignedCertificate('localhost');
    const certificate = new X509Certificate(certPem);
    assert.ok(certificate.checkPrivateKey(createPrivateKey(keyPem)));
    assert.equal(certificate.checkHost('localhost'), 'localhost');
    assert.equal(certificate.checkIP('127.0.0.1'), '127.0.0.1');
  });
});
