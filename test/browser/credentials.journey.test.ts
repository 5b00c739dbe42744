import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium } from 'playwright-core';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { manualClock } from '../../server/lib/clock.ts';
import { expectAccessible, launchChromium, screenshot } from '../support/browser.ts';
import { preferredBackend } from '../support/database.ts';
import { connectPartner, partnerState, waitFor } from '../support/sync.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';

// The Partner Center web app's key ends in five days; the same day the daily check finds a Graph
// permission removed. The reminder email's link opens the status page at "Update credentials":
// the update link goes to the primary contact, its page changes nothing until Start, a wrong key is
// answered at its field, the right one replaces the old (Microsoft checked it first), and the done
// page leads back to the status page, where "Check again" clears the other finding after its fix.

const DAY = 86_400_000;

describe('browser journey: a new Partner Center secret from the reminder email', () => {
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

  it('reminder email -> status page -> update link -> wizard -> done -> status page "Check again"', { timeout: 420_000 }, async () => {
    const { partner, email, tenant } = await connectPartner(system, emulator);
    await waitFor('partner active', async () => (await partnerState(system, partner.id)) === 'active');
    const webAppId = tenant.facts.partnerCenter.webAppId;
    const oldSecret = tenant.facts.partnerCenter.webAppSecret!;
    tenant.patch({ op: 'setSecretExpiry', appId: webAppId, endDateTime: new Date(system.clock.now().getTime() + 5 * DAY).toISOString() });
    await system.services.secretExpiry.runDaily();
    tenant.patch({ op: 'revokeAppPermission', permission: 'User.ReadWrite.All' });
    assert.equal(await system.services.drift.check(partner.id), 'failing');
    assert.equal(await partnerState(system, partner.id), 'needs_attention');

    const reminder = await system.catcher!.waitFor((m) => m.to.includes(email) && /^Reminder: /.test(m.subject), 15_000);
    const link = /Update the secret in TotalOne: (http\S+)/.exec(reminder.text)?.[1];
    assert.ok(link?.includes('/status#key='), reminder.text);

    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(link!);
    const update = page.getByRole('region', { name: 'Update credentials' });
    await update.waitFor();
    await waitFor('the update part focused', async () => (await page.evaluate(() => document.activeElement?.id)) === 'update-credentials-title');
    await expectAccessible(page, 'status page at "Update credentials"');
    await screenshot(page, 'credentials-01-status');
    await update.getByRole('button', { name: 'Email me an update link' }).click();
    await update.getByText(/The link is on its way to [a-z]\*\*\*@/).waitFor();

    const mail = await system.catcher!.waitFor((m) => m.to.includes(email) && /link to update the Microsoft secrets/.test(m.subject), 15_000);
    const updateLink = /(http\S+\/credentials#token=\S+)/.exec(mail.text)?.[1];
    assert.ok(updateLink, mail.text);
    const wizard = await context.newPage();
    await wizard.goto(updateLink!);
    await wizard.getByRole('heading', { name: /Update the Microsoft secrets of/ }).waitFor();
    assert.equal(new URL(wizard.url()).hash, '', 'the token leaves the address bar');
    const unclaimed = await system.database.db.selectFrom('one_time_tokens').select('claimed_at').where('partner_id', '=', partner.id).where('purpose', '=', 'credential_update').where('revoked_at', 'is', null).executeTakeFirstOrThrow();
    assert.equal(unclaimed.claimed_at, null, 'opening the link changed nothing');
    await expectAccessible(wizard, 'update link opened');
    await screenshot(wizard, 'credentials-02-start');
    await wizard.getByRole('button', { name: 'Start' }).click();

    const form = wizard.getByRole('form', { name: 'New secrets' });
    await form.waitFor();
    assert.match(await form.innerText(), new RegExp(`beginning with\\s+${oldSecret.slice(0, 3).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    await expectAccessible(wizard, 'new secrets form');
    await screenshot(wizard, 'credentials-03-form');

    const [added] = tenant.patch({ op: 'addClientSecret', appId: webAppId, displayName: 'TotalOne 2' });
    const newSecret = added!.secret!.secretText;
    const field = wizard.getByLabel('New Web App Secret', { exact: true });
    await field.fill(`${newSecret.slice(0, -4)}wxyz`);
    await wizard.getByRole('button', { name: 'Check and save' }).click();
    const error = wizard.locator('#field-webAppSecret-error');
    await error.waitFor();
    assert.match(await error.innerText(), /secret|key/i);
    await expectAccessible(wizard, 'a refused secret');
    await screenshot(wizard, 'credentials-04-refused');

    await field.fill(` ${newSecret} `);
    await wizard.getByRole('button', { name: 'Check and save' }).click();
    await wizard.getByRole('heading', { name: 'TotalOne uses your new secret' }).waitFor({ timeout: 30_000 });
    assert.match(await wizard.locator('main, #main').first().innerText(), /Partner Center web app secret/);
    await expectAccessible(wizard, 'done');
    await screenshot(wizard, 'credentials-05-done');
    const opened = await system.services.vault.open(partner.id, 'partner_center_web_app_secret');
    assert.equal(opened, newSecret);

    // Back on the status page: the other finding is still there; after its fix, "Check again".
    await wizard.getByRole('link', { name: 'Open my status page' }).click();
    const finding = wizard.getByRole('region', { name: 'What needs fixing in Microsoft' });
    await finding.waitFor();
    assert.match(await finding.innerText(), /User\.ReadWrite\.All|permission/);
    tenant.patch({ op: 'grantAppPermission', permission: 'User.ReadWrite.All' });
    await wizard.getByRole('button', { name: 'Check again' }).click();
    await wizard.getByRole('status').filter({ hasText: /Fixed/ }).waitFor({ timeout: 60_000 });
    await wizard.getByRole('heading', { name: /is ready/ }).waitFor({ timeout: 90_000 });
    await expectAccessible(wizard, 'status page after the update');
    await screenshot(wizard, 'credentials-06-status-ready');
    await context.close();
  });
});
