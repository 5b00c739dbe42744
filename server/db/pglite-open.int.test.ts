import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openPgliteDataDir } from './pglite-open.ts';

describe('opening the embedded database folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'totalone-pglite-open-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('creates the database in a child process on first open, with 32 MB of shared buffers, and keeps the data on reopen', async () => {
    const path = join(root, 'pglite');
    const first = await openPgliteDataDir(path);
    try {
      assert.ok(existsSync(join(path, 'PG_VERSION')));
      assert.deepEqual(readdirSync(root), ['pglite'], 'the staging folder of initdb is gone');
      assert.equal((await first.query<{ shared_buffers: string }>('SHOW shared_buffers')).rows[0]!.shared_buffers, '32MB');
      await first.exec('CREATE TABLE kept (id int); INSERT INTO kept VALUES (7);');
    } finally {
      await first.close();
    }
    const again = await openPgliteDataDir(path);
    try {
      assert.deepEqual((await again.query<{ id: number }>('SELECT id FROM kept')).rows, [{ id: 7 }]);
      assert.equal((await again.query<{ shared_buffers: string }>('SHOW shared_buffers')).rows[0]!.shared_buffers, '32MB');
    } finally {
      await again.close();
    }
  });
});
