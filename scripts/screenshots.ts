import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { fillSignupForm, launchChromium, PHONE_WIDTH } from '../test/support/browser.ts';
import { startDemo, waitForInboxEmail } from '../test/support/demo.ts';
import { linkToken } from '../test/support/factories.ts';

// npm run screenshots: the README's pictures, taken again from the current build. Builds the web
// app (package.json), starts the demo as `npm start` does (embedded defaults, a new data folder in
// the system's temporary folder, deleted afterwards), walks Chromium (/usr/bin/chromium, or
// CHROMIUM_PATH) through the README's demo with the printed values and writes:
//   docs/screenshots/signup.png         the signup page, empty, 1280 px wide
//   docs/screenshots/demo-inbox.png     the demo inbox after Step 1: the confirmation email, 1280 px wide
//   docs/screenshots/connect-phone.png  the connect wizard's Partner Center step on a 390 px phone

const out = join(import.meta.dirname, '..', 'docs', 'screenshots');
const dataDir = join(mkdtempSync(join(tmpdir(), 'totalone-screenshots-')), 'data');

async function shoot(page: Page, name: string) {
  // Two frames: the layout after the last change is on screen.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  await page.screenshot({ path: join(out, name), fullPage: true });
  console.log(`  docs/screenshots/${name}`);
}

mkdirSync(out, { recursive: true });
console.log('Starting the demo on a new data folder (the first start creates its database)...');
const demo = await startDemo({ dataDir, port: 0, webDist: 'web/dist' });
const chromium = await launchChromium();
try {
  const { values } = demo;
  const tenant = values.tenant!;
  const base = new URL(values.signupPage).origin;
  const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();

  // The signup page, as a newcomer first sees it.
  await page.goto(values.signupPage);
  await page.getByLabel('Legal company name').waitFor();
  await shoot(page, 'signup.png');

  // Step 1 with the printed Entra domain and MPN ID.
  const email = 'jana.novak@contoso.example';
  await fillSignupForm(page, { legalName: 'Contoso Cloud GmbH', mpnId: tenant.mpnId, entraDomain: tenant.entraDomain, email });
  await page.getByRole('button', { name: 'Submit signup' }).click();
  await page.getByRole('heading', { name: /inbox/i }).waitFor();

  // Step 2 begins in the demo inbox: the confirmation email with its Verify email button (and the
  // console invitation of the demo's first start).
  const confirmation = await waitForInboxEmail(values.demoInbox, (m) => m.to.includes(email) && /Confirm your email/.test(m.subject), 'the confirmation email');
  const inbox = await context.newPage();
  await inbox.goto(values.demoInbox);
  await inbox.getByRole('button', { name: /Confirm your email address/ }).click();
  await inbox.getByRole('heading', { level: 2, name: /Confirm your email address/ }).waitFor();
  await inbox.frameLocator('iframe').first().getByText('Verify email').waitFor();
  await shoot(inbox, 'demo-inbox.png');
  await inbox.close();

  // Verify email, then the signup link from the second email.
  await page.goto(`${base}/verify#token=${linkToken(confirmation.text, 'verify')}`);
  await page.getByRole('button', { name: 'Verify email' }).click();
  await page.getByRole('heading', { name: /What to do next/ }).waitFor();
  const linkMail = await waitForInboxEmail(values.demoInbox, (m) => m.to.includes(email) && /one-time signup link/.test(m.subject), 'the signup link email');
  await page.goto(`${base}/signup-link#token=${linkToken(linkMail.text, 'signup-link')}`);
  await page.getByRole('button', { name: 'Start' }).click();
  await page.waitForURL(`${base}/connect`);

  // Step 3 up to the Partner Center app, with where to find its values, on a phone.
  await page.getByLabel('I accept the Terms of Use and the Privacy Policy').check();
  await page.getByRole('button', { name: 'Accept' }).click();
  await page.getByRole('heading', { level: 2, name: 'Entra app' }).waitFor();
  await page.getByLabel('Tenant').fill(tenant.entraDomain);
  await page.getByLabel('Web App Client ID').fill(tenant.entraApp.clientId);
  await page.getByLabel('Client secret').fill(tenant.entraApp.clientSecret);
  await page.getByRole('button', { name: 'Check and continue' }).click();
  await page.getByRole('heading', { level: 2, name: 'Partner Center app' }).waitFor({ timeout: 30_000 });
  await page.getByText('Where to find these values in Partner Center').click();
  await page.setViewportSize({ width: PHONE_WIDTH, height: 844 });
  await shoot(page, 'connect-phone.png');
  await context.close();
} finally {
  await chromium.close();
  await demo.stop();
  rmSync(join(dataDir, '..'), { recursive: true, force: true });
}
