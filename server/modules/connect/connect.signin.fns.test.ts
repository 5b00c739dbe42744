import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainMissingCode } from './connect.signin.fns.ts';

// The reply address carries `error` and `error_description` when Microsoft ends a sign-in without
// a code (https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#error-response);
// the AADSTS number in the description says why.

const reply = 'https://signup.example/api/connect/microsoft/callback';
const answer = (error: string | undefined, description?: string) => {
  const params = new URLSearchParams();
  if (error) params.set('error', error);
  if (description) params.set('error_description', description);
  return explainMissingCode(params, reply);
};

describe('a sign-in answer without a code', () => {
  it('with nothing at all says the sign-in was left half-way', () => {
    assert.equal(answer(undefined).code, 'NO_ANSWER');
  });

  it('names the reply address and where it goes', () => {
    const refusal = answer('invalid_request', "AADSTS50011: The redirect URI 'x' specified in the request does not match");
    assert.equal(refusal.code, 'AADSTS50011');
    assert.ok(refusal.message.includes(reply));
    assert.match(refusal.message, /Authentication > Web/);
  });

  it('tells declined consent from consent that needs an administrator', () => {
    assert.match(answer('access_denied', 'AADSTS65004: User declined to consent to access the app.').message, /press Accept/);
    assert.equal(answer('access_denied').code, 'ACCESS_DENIED');
    assert.match(answer('access_denied', 'AADSTS90094: The grant requires admin permission.').message, /Global Administrator/);
    assert.match(answer('consent_required', 'AADSTS65001: The user or administrator has not consented').message, /admin consent/);
  });

  it('says multi-factor authentication was not completed, with the way to register a method', () => {
    for (const code of [50076, 50079, 50072]) {
      const refusal = answer('interaction_required', `AADSTS${code}: Due to a configuration change made by your administrator`);
      assert.equal(refusal.code, `AADSTS${code}`);
      assert.match(refusal.message, /aka\.ms\/mysecurityinfo|complete the (multi-factor )?prompt/);
    }
  });

  it('falls back to the known advice, then to Microsoft\u2019s first line without its trace', () => {
    assert.match(answer('access_denied', 'AADSTS53003: Access has been blocked by Conditional Access policies.').message, /Conditional Access/);
    const unknown = answer('server_error', 'AADSTS99999: Something odd.\r\nTrace ID: abc');
    assert.equal(unknown.code, 'AADSTS99999');
    assert.ok(!unknown.message.includes('Trace ID'));
  });
});
