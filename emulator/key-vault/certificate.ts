// A self-signed TLS certificate made at start-up, without openssl: the Key Vault SDK refuses
// bearer tokens over plain http, so the vault listens on https and clients trust this
// certificate explicitly (tlsOptions.ca or NODE_EXTRA_CA_CERTS). Minimal DER encoding of an
// X.509 v3 certificate with subjectAltName localhost / 127.0.0.1 / ::1.
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}

const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));
const explicit = (n: number, content: Buffer) => tlv(0xa0 + n, content);
const octets = (content: Buffer) => tlv(0x04, content);
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const nul = () => Buffer.from([0x05, 0x00]);

/** A non-negative DER INTEGER of big-endian `bytes`, in its shortest form (DER allows no other). */
function integer(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const digits = bytes.subarray(start);
  return tlv(0x02, digits[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), digits]) : digits);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out = [parts[0]! * 40 + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function utcTime(d: Date): Buffer {
  const s = d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  return tlv(0x17, Buffer.from(s, 'ascii'));
}

function name(commonName: string): Buffer {
  return seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName, 'utf8')))));
}

export interface SelfSignedCertificate {
  certPem: string;
  keyPem: string;
}

export interface CertificateInput {
  commonName: string;
  /** SubjectPublicKeyInfo, DER. */
  publicKeyDer: Buffer;
  privateKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  /** DER of the Extensions SEQUENCE, if any. */
  extensions?: Buffer;
  /** The serial number, big-endian; 16 random bytes unless given. */
  serial?: Buffer;
}

/** A self-signed X.509 v3 certificate (sha256WithRSAEncryption), DER. */
export function selfSignedCertificateDer(input: CertificateInput): Buffer {
  const sha256WithRsa = seq(oid('1.2.840.113549.1.1.11'), nul());
  // A serial is positive: a random one has its top bit cleared.
  const serial = input.serial ?? randomBytes(16);
  if (!input.serial) serial[0] = serial[0]! & 0x7f;
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    sha256WithRsa,
    name(input.commonName),
    seq(utcTime(input.notBefore), utcTime(input.notAfter)),
    name(input.commonName),
    input.publicKeyDer,
    ...(input.extensions ? [explicit(3, input.extensions)] : []),
  );
  const signature = sign('sha256', tbs, input.privateKey);
  return seq(tbs, sha256WithRsa, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
}

export function createSelfSignedCertificate(commonName: string, now: Date = new Date()): SelfSignedCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const subjectAltName = seq(
    tlv(0x82, Buffer.from('localhost', 'ascii')),
    tlv(0x87, Buffer.from([127, 0, 0, 1])),
    tlv(0x87, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
  );
  const extensions = seq(
    seq(oid('2.5.29.17'), octets(subjectAltName)),
    seq(oid('2.5.29.19'), bool(true), octets(seq(bool(true)))),
    seq(oid('2.5.29.37'), octets(seq(oid('1.3.6.1.5.5.7.3.1')))),
  );
  const certificate = selfSignedCertificateDer({
    commonName, publicKeyDer: publicKey.export({ type: 'spki', format: 'der' }), privateKey,
    notBefore: new Date(now.getTime() - 3_600_000), notAfter: new Date(now.getTime() + 7 * 86_400_000), extensions,
  });
  const b64 = certificate.toString('base64').match(/.{1,64}/g)!.join('\n');
  return {
    certPem: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}
