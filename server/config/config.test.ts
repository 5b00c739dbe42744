import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';

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
      APP_SECRET: Buffer.alloc(32, 1).toString('base64'),
      SMTP_URL: 'smtp://mail.internal:587',
      PUBLIC_URL: 'https://signup.totalone.example/',
    });
    assert.equal(config.emulator.start, false);
    assert.equal(config.http.publicUrl, 'https://signup.totalone.example');
  });

  it('rejects a short application secret', () => {
    assert.throws(() => loadConfig({ APP_SECRET: 'c2hvcnQ=' }), /APP_SECRET must be at least 32 bytes/);
  });
});
