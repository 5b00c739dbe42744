import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isoDay } from './dates.ts';

describe('isoDay (secret expiry)', () => {
  it('reads YYYY-MM-DD and JavaScript date texts to the day written in them', () => {
    assert.equal(isoDay('2028-10-25'), '2028-10-25');
    assert.equal(isoDay('2028-10-25T00:00:00.000Z'), '2028-10-25');
    assert.equal(isoDay('Wed Oct 25 2028 00:00:00 GMT+0100 (Central European Standard Time)'), '2028-10-25');
    assert.equal(isoDay('Fri Mar 3 2028 00:00:00 GMT-0500'), '2028-03-03');
    assert.equal(isoDay(''), undefined);
    assert.equal(isoDay('soon'), undefined);
  });
});
