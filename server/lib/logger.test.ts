import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from './logger.ts';

describe('logger redaction', () => {
  it('replaces tokens, secrets, cookies and authorization headers', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level: 'info', destination });
    logger.info({ req: { headers: { authorization: 'Bearer eyJhbGciOi.secret', cookie: 'signup_session=abc123secret' } } }, 'request');
    logger.info({ body: { token: 'tok_1234567890', clientSecret: 'cs~value', webAppSecret: 'pc~value' }, refreshToken: 'rt' }, 'payload');
    logger.info({ token: 'top-level-token', password: 'hunter2' }, 'flat');
    const text = lines.join('');
    for (const secret of ['eyJhbGciOi.secret', 'abc123secret', 'tok_1234567890', 'cs~value', 'pc~value', 'top-level-token', 'hunter2']) {
      assert.ok(!text.includes(secret), `${secret} leaked`);
    }
    assert.match(text, /\[redacted\]/);
  });
});

describe('request serializer', () => {
  it('drops query strings from logged URLs', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level: 'info', destination });
    logger.info({ req: { method: 'GET', url: '/api/connect/microsoft/callback?code=SECRETCODE&state=abc', ip: '127.0.0.1' } }, 'incoming request');
    assert.ok(!lines.join('').includes('SECRETCODE'));
    assert.match(lines.join(''), /microsoft\/callback"/);
  });
});
