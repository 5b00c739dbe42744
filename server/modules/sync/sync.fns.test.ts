import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTokenBucket, decodeCursor, encodeCursor, prefixPattern, progressFigures, signStatusKey, verifyStatusKey } from './sync.fns.ts';

describe('token bucket', () => {
  function fakeTime() {
    let t = 0;
    const waits: number[] = [];
    return { now: () => t, sleep: async (ms: number) => void (waits.push(ms), (t += ms)), waits, advance: (ms: number) => (t += ms) };
  }

  it('allows a burst of its capacity, then exactly the configured rate', async () => {
    const time = fakeTime();
    const bucket = createTokenBucket({ perMinute: 600, capacity: 5, now: time.now, sleep: time.sleep });
    for (let i = 0; i < 5; i++) await bucket.take();
    assert.equal(time.waits.length, 0);
    for (let i = 0; i < 60; i++) await bucket.take();
    // 60 more at 10 per second: 6 seconds.
    assert.ok(Math.abs(time.now() - 6000) <= 10, String(time.now()));
  });

  it('defaults to two seconds of budget and waits out a pause Microsoft asked for', async () => {
    const time = fakeTime();
    const bucket = createTokenBucket({ perMinute: 500, now: time.now, sleep: time.sleep });
    assert.equal(bucket.capacity, 17);
    bucket.pauseFor(3000);
    await bucket.take();
    assert.ok(time.now() >= 3000, String(time.now()));
  });

  it('serves waiting callers in order', async () => {
    const time = fakeTime();
    const bucket = createTokenBucket({ perMinute: 60, capacity: 1, now: time.now, sleep: time.sleep });
    const order: number[] = [];
    await Promise.all([1, 2, 3].map((n) => bucket.take().then(() => order.push(n))));
    assert.deepEqual(order, [1, 2, 3]);
    assert.ok(time.now() >= 2000);
  });
});

describe('status key', () => {
  const key = Buffer.alloc(32, 3);
  const partnerId = '0b0e5d7e-6a4c-4a43-9c31-9f2e3e2a1b10';
  const now = new Date('2026-11-25T12:00:00Z');

  it('round-trips, and refuses expired, forged or foreign keys', () => {
    const statusKey = signStatusKey(key, partnerId, new Date(now.getTime() + 86_400_000));
    assert.equal(verifyStatusKey(key, statusKey, now)?.partnerId, partnerId);
    assert.equal(verifyStatusKey(key, statusKey, new Date(now.getTime() + 2 * 86_400_000)), undefined);
    assert.equal(verifyStatusKey(Buffer.alloc(32, 4), statusKey, now), undefined);
    const [id, expires, mac] = statusKey.split('.');
    assert.equal(verifyStatusKey(key, `${id}.${Number(expires) + 1000}.${mac}`, now), undefined);
    assert.equal(verifyStatusKey(key, `${id!.replace('0b', '0c')}.${expires}.${mac}`, now), undefined);
    assert.equal(verifyStatusKey(key, 'garbage', now), undefined);
  });
});

describe('tenant view helpers', () => {
  it('cursors round-trip and damaged ones are refused', () => {
    assert.deepEqual(decodeCursor(encodeCursor({ key: 'fabrikam dental', id: 'abc' })), { key: 'fabrikam dental', id: 'abc' });
    assert.equal(decodeCursor('not-a-cursor'), undefined);
    assert.equal(decodeCursor(Buffer.from('{"a":1}').toString('base64url')), undefined);
  });

  it('prefix patterns treat %, _ and backslash literally', () => {
    assert.equal(prefixPattern('Ab%_\\'), 'ab\\%\\_\\\\%');
  });

  it('progress: rate, time left from the earlier total, nothing guessed without one', () => {
    const startedAt = new Date('2026-11-25T12:00:00Z');
    const updatedAt = new Date('2026-11-25T12:00:10Z');
    assert.deepEqual(progressFigures({ customersSeen: 3200, estimatedTotal: 12_000, startedAt, updatedAt, status: 'running' }), { ratePerSecond: 320, secondsLeft: 28, percent: 26 });
    assert.deepEqual(progressFigures({ customersSeen: 3200, estimatedTotal: null, startedAt, updatedAt, status: 'running' }), { ratePerSecond: 320, secondsLeft: null, percent: null });
    assert.deepEqual(progressFigures({ customersSeen: 0, estimatedTotal: null, startedAt, updatedAt: startedAt, status: 'running' }), { ratePerSecond: null, secondsLeft: null, percent: null });
    assert.equal(progressFigures({ customersSeen: 250, estimatedTotal: 250, startedAt, updatedAt, status: 'completed' }).percent, 100);
  });
});
