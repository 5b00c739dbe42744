import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultSignupLimits } from '../../server/modules/signup/signup.service.ts';
import { testBackends } from '../support/database.ts';
import { Browser } from '../support/http.ts';
import { startTestSystem } from '../support/system.ts';

for (const backend of testBackends()) {
  describe(`rate limits (${backend})`, () => {
    it('resend requests are limited per email and per IP, the same for unknown addresses, and survive a restart', async () => {
      const first = await startTestSystem(backend, { limits: defaultSignupLimits });
      let second: Awaited<ReturnType<typeof first.restart>> | undefined;
      try {
        const browser = new Browser(first.url!);
        const email = 'nobody-known@fabrikam.example';
        const max = defaultSignupLimits.resendPerEmail.max;
        for (let i = 0; i < max; i++) assert.equal((await browser.post('/api/verification-emails', { email })).status, 202);
        const limited = await browser.post('/api/verification-emails', { email });
        assert.equal(limited.status, 429);
        assert.equal(limited.body.error.code, 'RATE_LIMITED');
        assert.match(limited.body.error.message, /try again in \d+ minutes?/);
        assert.ok(Number(limited.headers.get('retry-after')) > 0);
        // Another address from the same place is not affected by this address's limit.
        assert.equal((await browser.post('/api/verification-emails', { email: 'other@fabrikam.example' })).status, 202);

        await first.stop();
        second = await first.restart();
        const afterRestart = await new Browser(second.url!).post('/api/verification-emails', { email });
        assert.equal(afterRestart.status, 429, 'the limit is kept in the database');

        // The window passes: the address may ask again.
        second.clock.advance(defaultSignupLimits.resendPerEmail.windowSeconds * 1000 + 1000);
        assert.equal((await new Browser(second.url!).post('/api/verification-emails', { email })).status, 202);

        // Per IP: every address counts against the same network.
        const ipMax = defaultSignupLimits.resendPerIp.max;
        const results: number[] = [];
        for (let i = 0; i < ipMax + 2; i++) results.push((await new Browser(second.url!).post('/api/signup-link-requests', { email: `user${i}@fabrikam.example` })).status);
        assert.ok(results.includes(429), `per-IP limit reached: ${results.join(',')}`);
      } finally {
        if (second) await second.dispose();
        else await first.dispose();
      }
    });
  });
}
