import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jobRegistry } from './registry.ts';

describe('job registry', () => {
  it('lists each job once, with a dotted module name and sane worker settings', () => {
    const names = jobRegistry.map((job) => job.name);
    assert.equal(new Set(names).size, names.length, `duplicate job names: ${names}`);
    for (const job of jobRegistry) {
      assert.match(job.name, /^[a-z]+\.[a-z][a-z-]*$/, job.name);
      if (typeof job.worker !== 'function') {
        assert.ok(job.worker.batchSize >= 1, `${job.name} batchSize`);
        assert.ok(job.worker.pollingIntervalSeconds >= 0.5, `${job.name} polling`);
      }
      assert.ok((job.queue.expireInSeconds ?? 0) > 0, `${job.name} declares how long a run may take`);
      // pg-boss reads five-field cron in UTC.
      if (job.schedule) assert.equal(job.schedule.cron.trim().split(/\s+/).length, 5, `${job.name} cron`);
    }
  });

  it('every schedule sends a payload the job accepts', () => {
    for (const job of jobRegistry) {
      if (!job.schedule) continue;
      assert.doesNotThrow(() => job.payload.parse((job.schedule as { payload?: unknown }).payload ?? {}), job.name);
    }
  });
});
