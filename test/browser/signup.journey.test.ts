import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium } from 'playwright-core';
import { preferredBackend } from '../support/database.ts';
import { linkToken } from '../support/factories.ts';
import { expectAccessible, fillSignupForm, launchChromium, screenshot } from '../support/browser.ts';
import { waitFor } from '../support/sync.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

// Step 1 as a partner lives it, in Chromium: the form (with one mistake corrected), the
// verification email read from the SMTP catcher, Verify, the signup link email, Start.

describe('browser journey: sign up, verify, open the signup link, start', () => {
  let system: TestSystem;
  let chromium: Chromium;

  before(async () => {
    system = await startTestSystem(preferredBackend(), { webDist: 'web/dist' });
    chromium = await launchChromium();
  });
  after(async () => {
    await chromium?.close();
    await system?.dispose();
  });

  it('walks Step 1 end to end, every page accessible', { timeout: 120_000 }, async () => {
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const base = system.url!;
    // A long address, as real ones can be: the pages that show it must still fit a phone.
    const email = `jana.novak-hinterberger.${Date.now()}@fabrikam-cloud-solutions-europe.example`;

    await page.goto(`${base}/signup`);
    await expectAccessible(page, 'signup page', { phoneScreenshot: 'step1-01-signup-empty-390px' });
    await screenshot(page, 'step1-01-signup-empty');

    // A mistake the partner then corrects: the domain must be the .onmicrosoft.com one.
    await fillSignupForm(page, { legalName: 'Fabrikam Cloud GmbH', mpnId: '4512345', entraDomain: 'fabrikam.com', email });
    const company = page.getByRole('group', { name: /Company/ });
    await page.getByRole('button', { name: 'Submit signup' }).click();

    const domainField = company.getByLabel('Entra primary domain');
    await waitFor('the domain field is marked invalid', async () => (await domainField.getAttribute('aria-invalid')) === 'true', 5_000);
    const describedBy = (await domainField.getAttribute('aria-describedby')) ?? '';
    const errorText = await page.locator(describedBy.split(' ').map((id) => `#${id}`).join(', ')).allInnerTexts();
    assert.match(errorText.join(' '), /onmicrosoft\.com/);
    await expectAccessible(page, 'signup page with an error');
    await screenshot(page, 'step1-02-signup-field-error');

    await domainField.fill('fabrikam.onmicrosoft.com');
    await page.getByRole('button', { name: 'Submit signup' }).click();
    await page.getByRole('heading', { name: /inbox/i }).waitFor();
    await expectAccessible(page, 'signup received');
    await screenshot(page, 'step1-03-check-inbox');

    const verification = await system.catcher!.waitFor((m) => m.to.includes(email) && /Confirm your email/.test(m.subject), 20_000);
    await page.goto(`${base}/verify#token=${linkToken(verification.text, 'verify')}`);
    await page.getByRole('button', { name: 'Verify email' }).waitFor();
    assert.ok(!page.url().includes('token='), 'the token leaves the address bar at once');
    await expectAccessible(page, 'verify page');
    await screenshot(page, 'step1-04-verify');
    await page.getByRole('button', { name: 'Verify email' }).click();
    await page.getByRole('heading', { name: /What to do next/ }).waitFor();
    await expectAccessible(page, 'verified', { phoneScreenshot: 'step1-05-verified-390px' });
    await screenshot(page, 'step1-05-verified');

    const linkMail = await system.catcher!.waitFor((m) => m.to.includes(email) && /one-time signup link/.test(m.subject), 20_000);
    await page.goto(`${base}/signup-link#token=${linkToken(linkMail.text, 'signup-link')}`);
    await page.getByRole('button', { name: 'Start' }).waitFor();
    assert.match(await page.locator('h1').innerText(), /Fabrikam Cloud GmbH/);
    await expectAccessible(page, 'signup link page');
    await screenshot(page, 'step1-06-signup-link');
    await page.getByRole('button', { name: 'Start' }).click();
    await page.waitForURL(`${base}/connect`);
    await page.locator('h1').waitFor();
    await expectAccessible(page, 'connect page');
    await screenshot(page, 'step1-07-connect');

    const partner = await system.database.db.selectFrom('partners').select('state').where('legal_name', '=', 'Fabrikam Cloud GmbH').executeTakeFirstOrThrow();
    assert.equal(partner.state, 'connecting');
    await context.close();
  });

  it('the demo inbox lists the caught emails and shows one accessibly', { timeout: 60_000 }, async () => {
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${system.url}/dev/mail`);
    await page.getByText(/Confirm your email address/).first().waitFor();
    // axe's frame pass cannot open the sandboxed email frame here; the email is scanned on its own page.
    await expectAccessible(page, 'demo inbox', { phoneScreenshot: 'demo-inbox-390px' });
    await screenshot(page, 'demo-inbox');
    await context.close();
  });
});
