import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createLogger } from '../lib/logger.ts';
import { createMetrics } from './metrics.ts';

describe('metrics', () => {
  it('the Grafana dashboard in docs/ reads only series the app exposes', () => {
    const metrics = createMetrics({ db: {} as never, logger: createLogger({ level: 'silent' }) });
    const names = new Set(metrics.registry.getMetricsAsArray().map((m) => m.name));
    const exposed = (name: string) => names.has(name) || names.has(name.replace(/_(bucket|count|sum)$/, ''));
    const dashboard = JSON.parse(readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\btotalone_[a-z_]+/g)].map((m) => ({ panel: p.title, name: m[0] }))));
    assert.ok(used.length >= 12);
    assert.deepEqual(used.filter((u) => !exposed(u.name)), [], 'every series the dashboard reads exists');
  });

  it('collects the process\u2019s own metrics once, however many systems the process starts', async () => {
    const logger = createLogger({ level: 'silent' });
    const [first, second] = [createMetrics({ db: {} as never, logger }), createMetrics({ db: {} as never, logger })];
    const lag = 'totalone_nodejs_eventloop_lag_seconds';
    // One event loop monitor for the process: every system exposes the same metric object.
    assert.ok(first.registry.getSingleMetric(lag));
    assert.equal(first.registry.getSingleMetric(lag), second.registry.getSingleMetric(lag));
    // Each system keeps its own series beside them.
    assert.notEqual(first.registry.getSingleMetric('totalone_http_request_duration_seconds'), second.registry.getSingleMetric('totalone_http_request_duration_seconds'));
    first.observeHttp('GET', '/api/health', 200, 0.01);
    assert.match(await first.registry.getSingleMetricAsString('totalone_http_request_duration_seconds'), /route="\/api\/health"/);
    assert.doesNotMatch(await second.registry.getSingleMetricAsString('totalone_http_request_duration_seconds'), /route="\/api\/health"/);
  });
});
