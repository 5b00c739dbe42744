import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium } from 'playwright-core';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { expectAccessible, launchChromium, screenshot } from '../support/browser.ts';
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
    emulator = await startEmulator({ scenario: 'ready' });
    system = await startTestSystem('pglite', { emulator, webDist: process.env.TEST_WEB_DIST ?? 'web/dist' });
    emulator.patch({ op: 'addRedirectUri', uri: `${system.publicUrl}/api/connect/microsoft/callback`, appId: emulator.facts.partnerCenter.webAppId });
    chromium = await launchChromium();
  });
  after(async () => {
    await chromium?.close();
    await system?.dispose();
    await emulator?.close();
  });

  it('shows progress moving, then ready; the tenant view finds a customer', { timeout: 180_000 }, async () => {
    emulator.patch({ op: 'setCustomers', count: 5000 }, { op: 'setThrottle', budget: 1, windowSeconds: 1 });
    const { browser } = await connectPartner(system, emulator);
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
    await expectAccessible(page, 'tenant view');
    await screenshot(page, 'status-02-tenant');
    await page.getByLabel('Search by company name or domain').fill(firstName.slice(0, 6));
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('status').filter({ hasText: /matching/ }).waitFor();
    const names = await page.locator('tbody tr td:first-child').allInnerTexts();
    assert.ok(names.length > 0 && names.every((n) => n.toLowerCase().startsWith(firstName.slice(0, 6).toLowerCase())), names.join(', '));
    await screenshot(page, 'status-03-search');
    await context.close();
  });
});
