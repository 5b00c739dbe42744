import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { startupReport } from '../../server/app/startup-report.ts';
import { linkToken, signupRequest } from '../support/factories.ts';
import { Browser } from '../support/http.ts';
import { comparableStartup, readme, readmeStartupSample } from '../support/readme.ts';
import { startTestSystem } from '../support/system.ts';

// The README's "Run it" as a newcomer follows it: the sample start-up output is what the demo
// prints, every printed address answers, and the demo tenant signs up with the printed domain,
// once per data folder.

describe('the README demo', () => {
  it('every `npm run` command the README names exists', () => {
    const scripts = Object.keys((JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts);
    const named = [...new Set([...readme.matchAll(/npm run ([a-z][a-z:-]*)/g)].map((m) => m[1]!))];
    assert.ok(named.includes('demo:reset') && named.includes('operator'), named.join(', '));
    assert.deepEqual(named.filter((name) => !scripts.includes(name)), []);
  });

  it('prints what the README shows, and its addresses and steps work', { timeout: 120_000 }, async () => {
    const system = await startTestSystem('pglite', { env: { START_EMULATOR: 'true', EMULATOR_PORT: '0', DATA_DIR: './data' } });
    try {
      const printed = await startupReport(system.config, system);
      const actual = { appUrl: system.publicUrl, emulatorUrl: system.emulator!.baseUrl, catcherPort: system.catcher!.port, dataDir: './data' };
      assert.deepEqual(comparableStartup(printed, actual), comparableStartup(readmeStartupSample(), actual), 'the README sample output is the real one');

      // Every address printed answers.
      const urls = printed.join('\n').match(/http:\/\/127\.0\.0\.1:\d+[^\s)]*/g) ?? [];
      assert.ok(urls.length >= 6, urls.join(', '));
      // The web pages come from a build the integration tests do not make: for them, the API
      // behind the page answers (the browser journeys open the pages themselves).
      const behind: Record<string, string> = { '/docs': '/docs/json', '/signup': '/api/csrf-token', '/console': '/api/console/session', '/dev/mail': '/dev/api/mail' };
      for (const url of urls) {
        const path = url === system.emulator!.baseUrl ? '/_emulator' : '';
        const page = Object.keys(behind).find((p) => url === `${system.publicUrl}${p}`);
        const response = await fetch(page ? `${system.publicUrl}${behind[page]}` : `${url}${path}`);
        assert.ok(response.status === 200 || (page === '/console' && response.status === 401), `${url}: ${response.status}`);
      }
      const totp = (await (await fetch(`${system.emulator!.baseUrl}/_emulator/totp`)).json()) as { value: Array<{ upn: string; code: string }> };
      assert.equal(totp.value[0]!.upn, system.emulator!.facts.serviceAccount.upn);
      assert.match(totp.value[0]!.code, /^\d{6}$/);

      // Step 1 with the printed Entra domain and MPN ID: confirmed, then the signup link arrives.
      const facts = system.emulator!.facts;
      const request = signupRequest({ company: { entraDomain: facts.domain, mpnId: facts.partnerCenter.mpnId } });
      const browser = new Browser(system.url!);
      assert.equal((await browser.post('/api/signups', request)).status, 202);
      const confirmation = await system.catcher!.waitFor((m) => m.to.includes(request.primaryContact.email), 20_000);
      assert.equal((await browser.post('/api/email-verifications', { token: linkToken(confirmation.text, 'verify') })).status, 200);
      await system.catcher!.waitFor((m) => m.to.includes(request.primaryContact.email) && /one-time signup link/.test(m.subject), 20_000);

      // A second signup of the demo tenant in the same data folder: only the "already signing up" email.
      const again = signupRequest({ company: { entraDomain: facts.domain, mpnId: facts.partnerCenter.mpnId } });
      assert.equal((await new Browser(system.url!).post('/api/signups', again)).status, 202);
      const refused = await system.catcher!.waitFor((m) => m.to.includes(again.primaryContact.email), 20_000);
      assert.match(refused.subject, /Your company is already signing up/);
      assert.match(readme, /a second signup with the\s+same Entra domain gets only a "Your company is already signing up" email/);
      assert.match(readme, /npm run demo:reset/);
    } finally {
      await system.dispose();
    }
  });
});
