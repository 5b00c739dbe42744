import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linkStatus, maskEmail, newPartnerReference, newSupportReference } from './signup.fns.ts';

const base = { revoked_at: null, spent_at: null, claimed_at: null, expires_at: new Date('2026-01-03T09:00:00Z') };

describe('linkStatus', () => {
  it('is open before expiry and expired from the expiry instant on', () => {
    assert.equal(linkStatus(base, new Date('2026-01-03T08:59:59.999Z')), 'open');
    assert.equal(linkStatus(base, new Date('2026-01-03T09:00:00.000Z')), 'expired');
  });
  it('ranks revoked over spent over expired over claimed', () => {
    const late = new Date('2026-02-01T00:00:00Z');
    const at = new Date('2026-01-02T00:00:00Z');
    assert.equal(linkStatus({ ...base, revoked_at: at, spent_at: at, claimed_at: at }, late), 'revoked');
    assert.equal(linkStatus({ ...base, spent_at: at, claimed_at: at }, late), 'spent');
    assert.equal(linkStatus({ ...base, claimed_at: at }, late), 'expired');
    assert.equal(linkStatus({ ...base, claimed_at: at }, at), 'claimed');
  });
});

describe('references', () => {
  it('have the documented shape and avoid ambiguous letters', () => {
    for (let i = 0; i < 200; i++) {
      assert.match(newPartnerReference(), /^TO-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
      assert.match(newSupportReference(), /^SR-[0-9A-HJKMNP-TV-Z]{6}$/);
    }
  });
});

describe('maskEmail', () => {
  it('keeps the first letter and the domain', () => {
    assert.equal(maskEmail('jane.doe@contoso.com'), 'j***@contoso.com');
  });
});
