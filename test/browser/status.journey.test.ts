import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium } from 'playwright-core';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { expectAccessible, launchChromium, screenshot } from '../support/browser.ts';
import { preferredBackend } from '../support/database.ts';
import { connectPartner } from '../support/sync.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

// After the connection: the status page shows the import moving and then the ready state; the
// tenant view searches the imported customers. The Partner Center budget is small, so the import
// takes a few seconds and the progress can be seen moving.

describe('browser journey: status page and tenant view', () => {
  let system: TestSystem;
  let emulator: Emulator;
  let chromium: Chromium;

  before(async () => {
    // 30% of the customers have no active GDAP relationship: the status and tenant view say which and why.
    emulator = await startEmulator({ scenario: 'gdap-partial' });
    system = await startTestSystem(preferredBackend(), { emulator, webDist: process.env.TEST_WEB_DIST ?? 'web/dist' });
    chromium = await launchChromium();
  });
  after(async () => {
    await chromium?.close();
    await system?.dispose();
    await emulator?.close();
  });

  it('shows progress moving, then ready; the tenant view finds a customer; customers without admin access (GDAP) are counted and listed', { timeout: 240_000 }, async () => {
    // 200 customers in 10 pages of 20, one page a second at most: the progress moves for seconds.
    const { browser } = await connectPartner(system, emulator, {
      scenario: 'gdap-partial',
      prepare: (tenant) => {
        tenant.partnerCenter.maxPageSize = 20;
      },
      patches: [{ op: 'setCustomers', count: 200 }, { op: 'setThrottle', budget: 1, windowSeconds: 1 }],
    });
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    const url = new URL(system.url!);
    await context.addCookies([{ name: 'signup_session', value: browser.cookie('signup_session')!, domain: url.hostname, path: '/' }]);
    const page = await context.newPage();
    await page.goto(`${system.url}/status`);
    const progress = page.getByRole('status').filter({ hasText: /customers imported|Import complete/ });
    await progress.first().waitFor({ timeout: 30_000 });
    const seen = new Set<string>();
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      seen.add(await progress.first().innerText());
      if (await page.getByRole('heading', { name: /is ready/ }).isVisible()) break;
      await page.waitForTimeout(300);
    }
    assert.ok(seen.size >= 2, `the progress text changed while importing: ${[...seen].join(' | ')}`);
    await page.getByRole('heading', { name: /is ready/ }).waitFor();
    await expectAccessible(page, 'status page');
    await screenshot(page, 'status-01-ready');

    await page.getByRole('link', { name: 'See your customers' }).click();
    await page.getByRole('heading', { name: 'Your customers' }).waitFor();
    await page.locator('tbody tr').first().waitFor();
    const firstName = (await page.locator('tbody tr td').first().innerText()).trim();
    await expectAccessible(page, 'tenant view', { phoneScreenshot: 'status-02-tenant-390px' });
    await screenshot(page, 'status-02-tenant');
    await page.getByLabel('Search by company name or domain').fill(firstName.slice(0, 6));
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('status').filter({ hasText: /matching/ }).waitFor();
    const names = await page.locator('tbody tr td:first-child').allInnerTexts();
    assert.ok(names.length > 0 && names.every((n) => n.toLowerCase().startsWith(firstName.slice(0, 6).toLowerCase())), names.join(', '));
    await screenshot(page, 'status-03-search');

    // GDAP is read after the import: the status page then counts the customers TotalOne cannot
    // administer yet, by reason, and links to them.
    const gdap = page.getByRole('region', { name: 'Admin access to your customers (GDAP)' });
    const deadline2 = Date.now() + 90_000;
    for (;;) {
      await page.goto(`${system.url}/status`);
      await page.getByRole('heading', { name: /is ready/ }).waitFor();
      if (/cannot administer/.test((await gdap.innerText().catch(() => '')) ?? '')) break;
      assert.ok(Date.now() < deadline2, 'the GDAP summary appears after the import');
      await page.waitForTimeout(1000);
    }
    const summary = await gdap.innerText();
    const cannot = Number(/cannot administer ([\d,]+) of 200/.exec(summary)?.[1]?.replace(/,/g, ''));
    assert.ok(Math.abs(cannot - 60) <= 1, summary);
    assert.match(summary, /No active GDAP relationship with this customer\..*How to fix: In Partner Center > Customers/s);
    assert.match(summary, /has ended/);
    await expectAccessible(page, 'status page with GDAP');
    await screenshot(page, 'status-04-gdap');
    await page.getByRole('link', { name: 'See the customers without admin access' }).click();
    await page.getByRole('heading', { name: 'Your customers' }).waitFor();
    await page.getByRole('status').filter({ hasText: /without admin access/ }).waitFor();
    assert.equal(await page.getByLabel('Show').inputValue(), 'no_admin_access');
    const cells = await page.locator('tbody tr td:nth-child(4)').allInnerTexts();
    assert.ok(cells.length === 50 && cells.every((c) => /No admin access/.test(c)), cells.slice(0, 3).join(' | '));
    await page.locator('tbody tr details summary').first().click();
    assert.match(await page.locator('tbody tr details').first().innerText(), /How to fix:/);
    await expectAccessible(page, 'tenant view, no admin access');
    await screenshot(page, 'status-05-no-admin-access');
    await page.getByLabel('Show').selectOption('all');
    await page.getByRole('status').filter({ hasText: /customers on this page/ }).waitFor();
    assert.ok((await page.locator('tbody tr td:nth-child(4)').allInnerTexts()).some((c) => /Admin access/.test(c) && !/No admin access/.test(c)));

    // Signing out ends this browser's session: the pages show nothing more without the emailed link.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    await expectAccessible(page, 'signed out');
    await page.goto(`${system.url}/tenant`);
    await page.getByRole('alert').filter({ hasText: /session has ended|no active signup link|has not started/ }).first().waitFor();
    await expectAccessible(page, 'tenant view, signed out');
    await page.goto(`${system.url}/status`);
    await page.getByRole('heading', { name: 'We could not show your status' }).waitFor();
    await expectAccessible(page, 'status page, signed out');
    await context.close();
  });
});
