import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupSecret, safeNext, signInNoteText } from './fns.ts';
import { auditActionLabel, keyLabel, templateLabel } from './labels.ts';
import { qrMatrix, qrSvgPath } from './qr.ts';

describe('console helpers', () => {
  it('groups the TOTP secret in fours for typing by hand', () => {
    assert.equal(groupSecret('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'), 'JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP');
    assert.equal(groupSecret('ABCDEF'), 'ABCD EF');
    assert.equal(groupSecret('AB CD'), 'ABCD');
  });

  it('sends the operator after sign-in only to console pages', () => {
    assert.equal(safeNext('/console/partners/4b1c?x=1'), '/console/partners/4b1c?x=1');
    assert.equal(safeNext('/console/support'), '/console/support');
    for (const bad of [null, '', 'https://evil.example/console', '//evil.example', '/console.evil.example', '/consolex', '/console/sign-in', '/console/invite', '/signup', 'javascript:alert(1)']) {
      assert.equal(safeNext(bad), '/console', String(bad));
    }
  });

  it('knows its sign-in notes and nothing else', () => {
    assert.match(signInNoteText('expired') ?? '', /session has ended/);
    assert.equal(signInNoteText('constructor'), undefined);
    assert.equal(signInNoteText(null), undefined);
  });

  it('names codes in words', () => {
    assert.equal(keyLabel('issuedBy'), 'issued by');
    assert.equal(keyLabel('linkId'), 'link ID');
    assert.equal(keyLabel('user_agent'), 'user agent');
    assert.equal(templateLabel('verify_email'), 'Verify email');
    assert.equal(templateLabel('signup_link'), 'Signup link email');
    assert.equal(auditActionLabel('signup_link.revoked'), 'Signup link revoked');
    assert.equal(auditActionLabel('something.new_here'), 'Something new here');
  });
});

describe('QR encoder', () => {
  /** Format information next to the top-left finder, unmasked: [error correction level, mask]. */
  function formatInfo(m: boolean[][]): [number, number] {
    const bits = [0, 1, 2, 3, 4, 5, 7, 8].map((y) => m[y]![8]!).concat([7, 5, 4, 3, 2, 1, 0].map((x) => m[8]![x]!));
    // bit i of the 15-bit word: rows 0..5, 7, 8 of column 8 hold bits 0..7; columns 7, 5..0 of row 8 hold bits 8..14.
    let word = 0;
    bits.forEach((dark, i) => {
      if (dark) word |= 1 << i;
    });
    word ^= 0x5412;
    const data = word >>> 10;
    let rem = data;
    for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
    assert.equal(((data << 10) | rem) & 0x7fff, word, 'the format information is a valid BCH code word');
    return [data >>> 3, data & 7];
  }

  function hasFinder(m: boolean[][], left: number, top: number): boolean {
    for (let dy = 0; dy < 7; dy++) {
      for (let dx = 0; dx < 7; dx++) {
        const ring = Math.max(Math.abs(dx - 3), Math.abs(dy - 3));
        if (m[top + dy]![left + dx] !== (ring !== 2)) return false;
      }
    }
    return true;
  }

  it('picks the smallest version for level M (byte capacities 14, 26, 213)', () => {
    const sizeFor = (n: number) => qrMatrix('a'.repeat(n)).length;
    assert.equal(sizeFor(14), 21);
    assert.equal(sizeFor(15), 25);
    assert.equal(sizeFor(26), 25);
    assert.equal(sizeFor(27), 29);
    assert.equal(sizeFor(213), 57);
    assert.equal(sizeFor(214), 61);
  });

  it('draws finders, the dark module and valid format information for level M', () => {
    const uri = 'otpauth://totp/TotalOne%20Console:jana%40totalone.example?issuer=TotalOne%20Console&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30';
    const m = qrMatrix(uri);
    const size = m.length;
    assert.ok(m.every((row) => row.length === size));
    assert.ok(hasFinder(m, 0, 0) && hasFinder(m, size - 7, 0) && hasFinder(m, 0, size - 7), 'three finder patterns');
    assert.equal(m[size - 8]![8], true, 'the dark module');
    const [level, mask] = formatInfo(m);
    assert.equal(level, 0, 'error correction level M');
    assert.ok(mask >= 0 && mask < 8);
    assert.deepEqual(qrMatrix(uri), m, 'deterministic');
    const svg = qrSvgPath(m);
    assert.equal(svg.size, size + 8);
    assert.match(svg.path, /^(M\d+ \d+h1v1h-1z)+$/);
  });
});
