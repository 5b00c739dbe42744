import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium } from 'playwright-core';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { manualClock } from '../../server/lib/clock.ts';
import { expectAccessible, launchChromium, screenshot } from '../support/browser.ts';
import { preferredBackend } from '../support/database.ts';
import { connectPartner, partnerState, waitFor } from '../support/sync.ts';
import { settled } from '../support/settled.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

// The Partner Center web app's key expires: the email's link opens the status page with the
// finding and its fix; "Check again" says "not fixed yet" until the partner fixes it in Microsoft,
// then the import resumes and the page ends on ready.

describe('browser journey: a finding on the status page, fixed with "Check again"', () => {
  let system: TestSystem;
  let emulator: Emulator;
  let chromium: Chromium;

  before(async () => {
    const clock = manualClock(new Date());
    emulator = await startEmulator({ scenario: 'ready', now: () => clock.now() });
    system = await startTestSystem(preferredBackend(), { emulator, clock, webDist: process.env.TEST_WEB_DIST ?? 'web/dist' });
    chromium = await launchChromium();
  });
  after(async () => {
    await chromium?.close();
    await system?.dispose();
    await emulator?.close();
  });

  it('shows the finding and its fix from the email link; check again resumes the import after the fix', { timeout: 180_000 }, async () => {
    const { partner, email, tenant } = await connectPartner(system, emulator);
    await waitFor('partner active', async () => (await partnerState(system, partner.id)) === 'active');
    // The first import's job has ended (its partner lock is released after the partner is active).
    await settled(system);
    tenant.patch({ op: 'setSecretExpiry', appId: tenant.facts.partnerCenter.webAppId, endDateTime: '2020-01-01T00:00:00Z' });
    system.clock.advance(2 * 3_600_000);
    await system.services.sync.runJob({ partnerId: partner.id, reason: 'scheduled' });
    assert.equal(await partnerState(system, partner.id), 'needs_attention');

    const mail = await system.catcher!.waitFor((m) => m.to.includes(email) && /must fix a setting in Microsoft/.test(m.subject), 15_000);
    const link = /(http\S+\/status#key=\S+)/.exec(mail.text)?.[1];
    assert.ok(link, 'the email links the status page');

    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(link);
    const finding = page.getByRole('region', { name: 'What needs fixing in Microsoft' });
    await finding.waitFor();
    assert.match(await finding.innerText(), /has expired/);
    assert.match(await finding.innerText(), /App management > Web app > Add key/);
    assert.match(await page.locator('.lead').innerText(), /paused/);
    await expectAccessible(page, 'status page with a finding');
    await screenshot(page, 'attention-01-finding');

    await page.getByRole('button', { name: 'Check again' }).click();
    await page.getByRole('status').filter({ hasText: /Not fixed yet/ }).waitFor();
    await expectAccessible(page, 'status page: not fixed yet');
    await screenshot(page, 'attention-02-not-fixed');

    tenant.patch({ op: 'setSecretExpiry', appId: tenant.facts.partnerCenter.webAppId, endDateTime: new Date(system.clock.now().getTime() + 365 * 86_400_000).toISOString() });
    await page.getByRole('button', { name: 'Check again' }).click();
    await page.getByRole('status').filter({ hasText: /Fixed/ }).waitFor();
    await page.getByRole('heading', { name: /is ready/ }).waitFor({ timeout: 90_000 });
    assert.equal(await finding.count(), 0, 'the finding is gone');
    await expectAccessible(page, 'status page after the fix');
    await screenshot(page, 'attention-03-ready-again');
    await context.close();
  });
});
