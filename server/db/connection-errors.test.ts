import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isConnectionError, retryOnConnectionLoss } from './connection-errors.ts';

describe('connection errors', () => {
  it('tells a lost or refused connection from a wrong statement', () => {
    assert.ok(isConnectionError(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })));
    assert.ok(isConnectionError(new Error('Connection terminated unexpectedly')));
    assert.ok(isConnectionError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })));
    assert.ok(isConnectionError(new AggregateError([Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })])));
    assert.ok(isConnectionError(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: '08006' }) })));
    assert.ok(!isConnectionError(Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' })));
    assert.ok(!isConnectionError(Object.assign(new Error('syntax error'), { code: '42601' })));
    assert.ok(!isConnectionError(undefined));
  });

  it('runs an action again after a lost connection, never after another error', async () => {
    let calls = 0;
    assert.equal(await retryOnConnectionLoss('x', async () => (++calls < 3 ? Promise.reject(new Error('Connection terminated unexpectedly')) : 'ok'), { delaysMs: [1, 1, 1] }), 'ok');
    assert.equal(calls, 3);
    calls = 0;
    await assert.rejects(retryOnConnectionLoss('x', async () => (calls++, Promise.reject(new Error('bad input'))), { delaysMs: [1] }), /bad input/);
    assert.equal(calls, 1);
  });
});
