import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Db } from './database.ts';
import { isConnectionError, retryOnConnectionLoss, transactionWithRetry } from './connection-errors.ts';

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

  /** A database whose COMMITs are cut off (the connection lost while committing) as `cutCommits` says, one entry per transaction. */
  function databaseCuttingCommits(cutCommits: boolean[]) {
    let transactions = 0;
    const db = {
      transaction: () => ({
        async execute<T>(body: (tx: unknown) => Promise<T>): Promise<T> {
          const cut = cutCommits[transactions++] ?? false;
          const result = await body({});
          if (cut) throw new Error('Connection terminated unexpectedly');
          return result;
        },
      }),
    } as unknown as Db;
    return { db, transactions: () => transactions };
  }

  it('a transaction whose COMMIT was cut off: thrown unless the caller can ask whether it took effect', async () => {
    const unknown = databaseCuttingCommits([true]);
    await assert.rejects(transactionWithRetry(unknown.db, 'x', async () => 'written', { delaysMs: [1] }), /Connection terminated/);
    assert.equal(unknown.transactions(), 1, 'never run again blindly');

    const tookEffect = databaseCuttingCommits([true]);
    let asked = 0;
    assert.equal(await transactionWithRetry(tookEffect.db, 'x', async () => 'written', { delaysMs: [1], committed: async () => (++asked, true) }), 'written');
    assert.deepEqual([tookEffect.transactions(), asked], [1, 1], 'it had taken effect: done, not run again');

    const rolledBack = databaseCuttingCommits([true, false]);
    let runs = 0;
    assert.equal(await transactionWithRetry(rolledBack.db, 'x', async () => `run ${++runs}`, { delaysMs: [1], committed: async () => false }), 'run 2');
    assert.equal(rolledBack.transactions(), 2, 'it had not taken effect: run again');

    // The question itself survives a lost connection.
    const askedTwice = databaseCuttingCommits([true]);
    let questions = 0;
    const committed = async () => (++questions < 2 ? Promise.reject(new Error('Connection terminated unexpectedly')) : true);
    assert.equal(await transactionWithRetry(askedTwice.db, 'x', async () => 'written', { delaysMs: [1], committed }), 'written');
    assert.equal(questions, 2);
  });
});
