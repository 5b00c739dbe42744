import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium } from 'playwright-core';
import { startMailCatcher, type MailCatcher } from '../../server/modules/mail/mail.catcher.ts';
import { expectAccessible, launchChromium, screenshot } from '../support/browser.ts';
import { preferredBackend } from '../support/database.ts';
import { signupRequest } from '../support/factories.ts';
import { Browser } from '../support/http.ts';
import { waitFor } from '../support/sync.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';
import { activeOperator, signIn } from '../integration/operators.helpers.ts';

// The console overview tells operators about email delivery: how much waits for the mail server and
// which emails it refused for good (with its answer and the partner), so support can act on them.

describe('browser journey: undelivered emails in the console overview', () => {
  let system: TestSystem;
  let catcher: MailCatcher;
  let chromium: Chromium;

  before(async () => {
    catcher = await startMailCatcher({ port: 0, refuse: (address) => (address.startsWith('nobody.') ? { code: 550, message: '5.1.1 No such user here' } : undefined) });
    system = await startTestSystem(preferredBackend(), { webDist: 'web/dist', env: { SMTP_URL: catcher.smtpUrl } });
    system.catcher = catcher; // the helpers read invitations from it
    chromium = await launchChromium();
  });
  after(async () => {
    await chromium?.close();
    await system?.dispose();
    await catcher?.close();
  });

  it('an email the mail server refused is listed with its answer and a link to the partner', { timeout: 120_000 }, async () => {
    const refused = signupRequest({ primaryContact: { email: `nobody.${Date.now()}@fabrikam.example` } });
    assert.equal((await new Browser(system.url!).post('/api/signups', refused)).status, 202);
    await waitFor('the email marked failed', async () => (await system.database.db.selectFrom('outbox').select('status').where('status', '=', 'failed').execute()).length === 1, 20_000);

    // Invitations go through the same catcher; the operator's address is accepted.
    const operator = await activeOperator(system, 'support');
    const api = await signIn(system, operator);
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    const cookie = api.cookie('operator_session');
    assert.ok(cookie, 'signed in');
    await context.addCookies([{ name: 'operator_session', value: cookie, url: system.url! }]);
    const page = await context.newPage();
    await page.goto(`${system.url}/console`);
    const section = page.getByRole('region', { name: /Emails the mail server refused \(1\)/ });
    await section.waitFor();
    const text = await section.innerText();
    assert.match(text, /No such user here/);
    assert.match(text, new RegExp(refused.primaryContact.email.replace(/\./g, '\\.')));
    assert.match(text, new RegExp(refused.company.legalName));
    await section.getByRole('link', { name: refused.company.legalName }).click();
    await page.waitForURL(/\/console\/partners\//);
    await page.goBack();
    await section.waitFor();
    await expectAccessible(page, 'console overview with refused emails');
    await screenshot(page, 'console-overview-refused-emails');
    await context.close();
  });
});
