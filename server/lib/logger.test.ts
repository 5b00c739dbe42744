import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, isSecretName } from './logger.ts';

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

describe('redaction by name', () => {
  const capture = () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    return { logger: createLogger({ level: 'info', destination }), lines };
  };

  it('redacts a secret wherever it sits, keeps error codes readable', () => {
    const { logger, lines } = capture();
    logger.info({ job: { payload: { credentials: [{ clientSecret: 'deep~secret~1' }], statusKey: 'sk-123.456.abc' } }, ms: { response: { body: { refresh_token: 'rt-deep', access_token: 'at-deep', id_token: 'it-deep' } } } }, 'nested');
    logger.warn({ code: 'LINK_EXPIRED', err: { code: 'ECONNRESET' }, failure: { code: 'AADSTS50011', kind: 'partner_action' } }, 'codes');
    const error = Object.assign(new Error('refused'), { code: 'VAULT_UNAVAILABLE', response: { body: { client_secret: 'err-secret' } }, accessToken: 'err-token' });
    logger.error({ err: error }, 'an error');
    const text = lines.join('');
    for (const secret of ['deep~secret~1', 'sk-123.456.abc', 'rt-deep', 'at-deep', 'it-deep', 'err-secret', 'err-token']) assert.ok(!text.includes(secret), `${secret} leaked`);
    for (const code of ['LINK_EXPIRED', 'ECONNRESET', 'AADSTS50011', 'VAULT_UNAVAILABLE']) assert.ok(text.includes(code), `${code} hidden`);
  });

  it('names: secrets by exact name or suffix, not their hints, hashes or counts', () => {
    for (const name of ['token', 'accessToken', 'refresh_token', 'clientSecret', 'webAppSecret', 'sealedSecrets', 'password', 'newPassword', 'authorization', 'cookie', 'codeVerifier', 'statusKey', 'privateKey', 'key']) assert.ok(isSecretName(name), name);
    for (const name of ['code', 'tokenHash', 'secretHint', 'secretExpiresOn', 'idempotencyKey', 'singletonKey', 'keyVersion', 'partnerId', 'linkId']) assert.ok(!isSecretName(name), name);
  });
});
