import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig, type Env } from './config.ts';

const strongSecret = randomBytes(32).toString('base64');
const production: Env = {
  APP_MODE: 'production',
  DATABASE_URL: 'postgres://app@db/totalone',
  APP_SECRET: strongSecret,
  SMTP_URL: 'smtp://mail.internal:587',
  PUBLIC_URL: 'https://signup.totalone.example',
};

/** The problems loadConfig reports for `env`, one string each. */
function problems(env: Env): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
}

describe('loadConfig', () => {
  it('runs the demo on embedded defaults with nothing set', () => {
    const config = loadConfig({});
    assert.equal(config.mode, 'demo');
    assert.deepEqual(config.roles, ['web', 'worker']);
    assert.equal(config.database.url, undefined);
    assert.equal(config.database.dataDir, './data');
    assert.equal(config.emulator.start, true);
    assert.equal(config.links.signupTtlHours, 48);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.http));
  });

  it('lists every problem at once', () => {
    try {
      loadConfig({ PORT: 'eighty', ROLES: 'web,cook', DATABASE_URL: 'mysql://x', SIGNUP_LINK_TTL_HOURS: '0' });
      assert.fail('should have thrown');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      const text = error.problems.join('\n');
      for (const key of ['PORT', 'ROLES', 'DATABASE_URL', 'SIGNUP_LINK_TTL_HOURS']) assert.match(text, new RegExp(key));
      assert.equal(error.problems.length, 4);
    }
  });

  it('production refuses to start without its own database, secret, SMTP and public URL, and without the emulator', () => {
    assert.throws(
      () => loadConfig({ APP_MODE: 'production', START_EMULATOR: 'true' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const text = error.problems.join('\n');
        for (const key of ['DATABASE_URL', 'APP_SECRET', 'SMTP_URL', 'PUBLIC_URL', 'START_EMULATOR']) assert.match(text, new RegExp(key));
        return true;
      },
    );
    const config = loadConfig({
      APP_MODE: 'production',
      DATABASE_URL: 'postgres://app@db/totalone',
      APP_SECRET: strongSecret,
      SMTP_URL: 'smtp://mail.internal:587',
      PUBLIC_URL: 'https://signup.totalone.example/',
    });
    assert.equal(config.emulator.start, false);
    assert.equal(config.http.publicUrl, 'https://signup.totalone.example');
  });

  it('JOB_MAINTENANCE_INTERVAL_SECONDS sets how often the job queue looks for expired jobs: 30 s unless set, 1 to 300', () => {
    assert.equal(loadConfig({}).jobs.maintenanceIntervalSeconds, 30);
    assert.equal(loadConfig({ JOB_MAINTENANCE_INTERVAL_SECONDS: '2' }).jobs.maintenanceIntervalSeconds, 2);
    for (const value of ['0', '301', '1.5', 'often']) assert.match(problems({ JOB_MAINTENANCE_INTERVAL_SECONDS: value }).join('\n'), /JOB_MAINTENANCE_INTERVAL_SECONDS/, value);
  });

  it('rejects a short application secret', () => {
    assert.throws(() => loadConfig({ APP_SECRET: 'c2hvcnQ=' }), /APP_SECRET must be at least 32 bytes/);
  });

  it('TRUST_PROXY takes a hop count or proxy addresses, and refuses `true` with the reason', () => {
    assert.equal(loadConfig({}).http.trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: 'false' }).http.trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: '2' }).http.trustProxy, 2);
    assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.5, 10.1.0.0/16,::1, loopback' }).http.trustProxy, ['10.0.0.5', '10.1.0.0/16', '::1', 'loopback']);
    assert.match(problems({ TRUST_PROXY: 'true' }).join('\n'), /TRUST_PROXY cannot be `true`: that trusts any X-Forwarded-For/);
    assert.match(problems({ TRUST_PROXY: '10.0.0.5, proxy.internal' }).join('\n'), /TRUST_PROXY .*not understood: proxy\.internal/);
    assert.match(problems({ TRUST_PROXY: '10.0.0.0/33' }).join('\n'), /TRUST_PROXY/);
  });

  it('production refuses a weak APP_SECRET, saying why', () => {
    const weak = {
      'all zeros': Buffer.alloc(32).toString('base64'),
      'one byte repeated': Buffer.alloc(48, 0xa5).toString('base64'),
      'a phrase': Buffer.from('correct horse battery staple, twice over!!').toString('base64'),
      'little variety': Buffer.from(Array.from({ length: 32 }, (_, i) => [0x00, 0xff, 0x10, 0x80][i % 4]!)).toString('base64'),
    };
    for (const [what, secret] of Object.entries(weak)) {
      const found = problems({ ...production, APP_SECRET: secret });
      assert.equal(found.length, 1, `${what}: ${found.join('; ')}`);
      assert.match(found[0]!, /^APP_SECRET .*openssl rand -base64 32/, what);
    }
    assert.deepEqual(problems(production), []);
    // The demo keeps its own random secret; tests may use a fixed one there.
    assert.deepEqual(problems({ APP_SECRET: Buffer.alloc(32, 7).toString('base64') }), []);
  });

  it('production refuses http:// for the public address (but loopback) and for Microsoft', () => {
    assert.match(problems({ ...production, PUBLIC_URL: 'http://signup.totalone.example' }).join('\n'), /PUBLIC_URL must start with https:\/\/ in production: .*Secure/);
    assert.deepEqual(problems({ ...production, PUBLIC_URL: 'http://127.0.0.1:3000' }), []);
    for (const key of ['MICROSOFT_AUTHORITY_HOST', 'MICROSOFT_GRAPH_URL', 'PARTNER_CENTER_URL']) {
      assert.match(problems({ ...production, [key]: 'http://login.example' }).join('\n'), new RegExp(`${key} must start with https://`));
    }
  });

  it('the demo listens beyond this machine only when told so', () => {
    assert.match(problems({ HOST: '0.0.0.0' }).join('\n'), /HOST is 0\.0\.0\.0, beyond this machine, in demo mode: .*DEMO_ON_NETWORK=true/);
    assert.match(problems({ HOST: '::' }).join('\n'), /HOST/);
    assert.deepEqual(problems({ HOST: '0.0.0.0', DEMO_ON_NETWORK: 'true' }), []);
    for (const host of ['127.0.0.1', 'localhost', '::1']) assert.deepEqual(problems({ HOST: host }), [], host);
    assert.deepEqual(problems({ ...production, HOST: '0.0.0.0' }), []);
  });
});
