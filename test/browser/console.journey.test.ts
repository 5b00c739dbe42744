import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import type { Browser as Chromium, Page } from 'playwright-core';
import { expectAccessible, launchChromium, screenshot, showingFailure } from '../support/browser.ts';
import { preferredBackend } from '../support/database.ts';
import { linkToken, signupRequest } from '../support/factories.ts';
import { Browser } from '../support/http.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';
import { waitFor } from '../support/sync.ts';
import { activeOperator, signIn, waitForInvite } from '../integration/operators.helpers.ts';

// The operator console as an operator lives it, in Chromium: an operator created the way the CLI does it, the
// invitation read from the mail catcher, password and authenticator enrolment (codes computed from
// the secret the page shows), sign-in; a partner stuck at "link sent" found in the signups list and
// given a new link (the old one is refused, the new one works); a support request answered and
// marked handled; the audit log, the operators page, an ended session, sign-out. Every page is
// scanned with axe and photographed.

const password = 'violet kettle harbour 42';

function totpCode(secret: string, at: Date): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: at.getTime() });
}

describe('browser journey: the operator console', () => {
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

  // Every page: axe, laid out at 390 px too (none may scroll sideways), photographed.
  async function look(page: Page, name: string, label: string) {
    await expectAccessible(page, label, name === 'console-07-overview' ? { phoneScreenshot: 'console-07-overview-390px' } : {});
    await screenshot(page, name);
  }

  it('invite, enrol, sign in, re-issue a signup link, answer a support request', { timeout: 180_000 }, async () => {
    const base = system.url!;
    const email = `ops.${randomBytes(4).toString('hex')}@totalone.example`;
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    // Refused requests (400, 401) are part of the journey; script errors are not.
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/^Failed to load resource/.test(message.text())) consoleErrors.push(message.text());
    });

    await showingFailure(page, 'console-journey', async () => {
      // --- the operator is created like `npm run operator -- create --email ... --role admin` ---
      await system.services.operatorAuth.createOperator({ email, role: 'admin' }, { type: 'system', label: 'cli:test' });
      const invitation = await system.catcher!.waitFor((m) => m.to.includes(email) && /invitation to the TotalOne operator console/.test(m.subject), 15_000);
      const inviteToken = /\/console\/invite#token=([A-Za-z0-9_-]{43})/.exec(invitation.text)?.[1];
      assert.ok(inviteToken, 'the invitation email carries a console link');

      // --- accept the invitation: password (one refusal first), authenticator, confirmation ---
      await page.goto(`${base}/console/invite#token=${inviteToken}`);
      await page.getByRole('heading', { name: 'Set up your console account' }).waitFor();
      assert.ok(!page.url().includes('token='), 'the token leaves the address bar at once');
      assert.match(await page.locator('main').innerText(), /at least 12 characters/);
      await look(page, 'console-01-invite-password', 'invitation: password');

      await page.getByLabel('New password').fill('too short');
      await page.getByRole('button', { name: 'Save password and continue' }).click();
      const passwordField = page.getByLabel('New password');
      await waitFor('the password field shows the policy error', async () => (await passwordField.getAttribute('aria-invalid')) === 'true', 5_000);
      await look(page, 'console-02-invite-password-refused', 'invitation: password refused');
      await passwordField.fill(password);
      await page.getByRole('button', { name: 'Save password and continue' }).click();

      await page.getByRole('button', { name: 'Show the secret for my app' }).click();
      const secretText = await page.getByTestId('totp-secret').innerText();
      assert.match(secretText, /^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/, 'the secret is shown in groups of four');
      const secret = secretText.replace(/\s+/g, '');
      assert.match(await page.locator('a.secret-uri').getAttribute('href') ?? '', /^otpauth:\/\/totp\//);
      await page.getByRole('img', { name: 'QR code of the setup link' }).waitFor();
      await look(page, 'console-03-invite-totp', 'invitation: authenticator');
      await page.getByLabel('Code from the app').fill(totpCode(secret, system.clock.now()));
      await page.getByRole('button', { name: 'Confirm and finish' }).click();
      await page.getByRole('heading', { name: 'Your console account is ready' }).waitFor();
      await look(page, 'console-04-invite-done', 'invitation: done');

      // --- a partner stuck at "link sent" (signed up and verified, link never opened) ---
      const partnerBrowser = new Browser(base);
      const request = signupRequest();
      const partnerEmail = request.primaryContact.email;
      assert.equal((await partnerBrowser.post('/api/signups', request)).status, 202);
      const verification = await system.catcher!.waitFor((m) => m.to.includes(partnerEmail) && /Confirm your email/.test(m.subject), 15_000);
      assert.equal((await partnerBrowser.post('/api/email-verifications', { token: linkToken(verification.text, 'verify') })).status, 200);
      const firstLink = linkToken((await system.catcher!.waitFor((m) => m.to.includes(partnerEmail) && /one-time signup link/.test(m.subject), 15_000)).text, 'signup-link');

      // --- sign in: a wrong code first, then the right one ---
      await page.getByRole('link', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Sign in to the operator console' }).waitFor();
      await look(page, 'console-05-sign-in', 'sign-in');
      system.clock.advance(30_000); // a code is accepted once: the next step's code
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByLabel('Authenticator code').fill(totpCode(secret, new Date(system.clock.now().getTime() + 10 * 60_000)));
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('Sign-in failed').waitFor();
      assert.match(await page.locator('main').innerText(), /locked for 15 minutes/);
      await look(page, 'console-06-sign-in-failed', 'sign-in failed');
      await page.getByLabel('Authenticator code').fill(totpCode(secret, system.clock.now()));
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${base}/console`);
      await page.getByRole('heading', { name: 'Funnel' }).waitFor();
      const header = page.locator('header');
      assert.match(await header.innerText(), new RegExp(email.replace(/\./g, '\\.')));
      assert.match(await header.innerText(), /Admin/);
      // The funnel fills in once its figures arrive.
      // (showingFailure adds what the page shows to a failure.)
      await waitFor('the funnel counts the partner at "Signup link sent"', async () => /Signup link sent\s+1/.test(await page.getByRole('table', { name: /stage by stage/ }).innerText()), 15_000);
      await look(page, 'console-07-overview', 'overview');
      await page.getByRole('button', { name: '7 days' }).click();
      await waitFor('the period changes to 7 days', async () => /last 7 days/.test(await page.locator('main').innerText()), 5_000);

      // --- find it in the console ---
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Signups' }).click();
      await page.getByRole('heading', { name: 'Signups', level: 1 }).waitFor();
      await page.getByLabel('Search', { exact: true }).fill(request.company.entraDomain);
      await page.getByLabel('State').selectOption('link_sent');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.getByRole('heading', { name: /^1 signup in state “Link sent” for/ }).waitFor();
      await look(page, 'console-08-signups', 'signups list');
      await page.getByRole('link', { name: request.company.legalName }).click();
      await page.getByRole('heading', { name: request.company.legalName, level: 1 }).waitFor();
      await page.getByRole('heading', { name: 'Timeline' }).waitFor();
      assert.match(await page.locator('main').innerText(), /Signup link issued/);
      await look(page, 'console-09-partner', 'partner detail');
      await page.setViewportSize({ width: 390, height: 844 });
      await look(page, 'console-09-partner-narrow', 'partner detail on a phone-sized screen');
      await page.setViewportSize({ width: 1280, height: 900 });

      // --- issue a new signup link: confirmation dialog, a reason is required ---
      await page.getByRole('button', { name: 'Issue new signup link' }).click();
      const dialog = page.getByRole('dialog', { name: 'Issue a new signup link' });
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'Issue new signup link' }).click();
      await dialog.getByText('Reason is required.').or(dialog.getByText(/Reason needs at least/)).first().waitFor();
      const reason = 'Partner says the email never arrived (ticket 123)';
      await dialog.getByLabel('Reason').fill(reason);
      await look(page, 'console-10-partner-confirm', 'confirmation dialog');
      await dialog.getByRole('button', { name: 'Issue new signup link' }).click();
      await page.getByText('Done', { exact: true }).waitFor();
      await dialog.waitFor({ state: 'hidden' });
      await page.getByText(/New signup link issued by an operator/).first().waitFor();
      await look(page, 'console-11-partner-link-issued', 'partner after the action');

      const secondMail = await system.catcher!.waitFor((m) => m.to.includes(partnerEmail) && /one-time signup link/.test(m.subject) && linkToken(m.text, 'signup-link') !== firstLink, 15_000);
      const secondLink = linkToken(secondMail.text, 'signup-link');
      const old = await new Browser(base).post('/api/signup-links/claim', { token: firstLink });
      assert.equal(old.status, 410, JSON.stringify(old.body));
      assert.equal(old.body.error.code, 'LINK_REVOKED');
      const fresh = await new Browser(base).post('/api/signup-links/claim', { token: secondLink });
      assert.equal(fresh.status, 200, JSON.stringify(fresh.body));

      // --- a support request, answered by email and marked handled ---
      const sent = await new Browser(base).post('/api/support-requests', { name: 'Jana Novak', email: partnerEmail, message: 'I did not get the signup link. Could you send it again?', signupReference: null });
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      const supportReference: string = sent.body.reference;
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Support' }).click();
      await page.getByRole('heading', { name: 'Support inbox' }).waitFor();
      const requestLink = page.getByRole('link', { name: new RegExp(`^${supportReference}`) });
      await requestLink.waitFor();
      await look(page, 'console-12-support-inbox', 'support inbox');
      await requestLink.click();
      await page.getByRole('heading', { name: new RegExp(`^${supportReference}`), level: 1 }).waitFor();
      assert.match(await page.locator('main').innerText(), /I did not get the signup link/);
      assert.match(await page.locator('main').innerText(), new RegExp(request.company.legalName));
      await look(page, 'console-13-support-request', 'support request');
      await page.getByLabel('Your reply').fill('We sent you a new signup link just now; the earlier one no longer works.');
      await page.getByLabel(/Mark the request handled/).uncheck();
      await page.getByRole('button', { name: 'Send reply' }).click();
      await page.getByText(/Your reply is on its way/).waitFor();
      const answer = await system.catcher!.waitFor((m) => m.to.includes(partnerEmail) && m.subject.includes(`Re: your request ${supportReference}`), 15_000);
      assert.match(answer.text, /new signup link just now/);
      await page.getByRole('button', { name: 'Mark handled' }).click();
      await page.getByText('The request is marked handled.').waitFor();
      await page.getByRole('button', { name: 'Reopen' }).waitFor();
      await look(page, 'console-14-support-handled', 'support request handled');

      // --- the audit log has the action with its reason ---
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Audit log' }).click();
      await page.getByRole('heading', { name: 'Audit log' }).waitFor();
      await page.getByLabel('Action').fill('console.');
      await page.getByLabel('Actor', { exact: true }).fill(email);
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.getByRole('cell', { name: /Support request marked handled/ }).or(page.getByRole('rowheader', { name: /Support request marked handled/ })).first().waitFor();
      assert.match(await page.locator('main').innerText(), new RegExp(reason.replace(/[()]/g, '\\$&')));
      await look(page, 'console-15-audit', 'audit log');

      // --- operators (admin) ---
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Operators' }).click();
      await page.getByRole('heading', { name: 'Operators', level: 1 }).waitFor();
      await page.getByRole('rowheader', { name: new RegExp(email.replace(/\./g, '\\.')) }).waitFor();
      const colleague = `colleague.${randomBytes(4).toString('hex')}@totalone.example`;
      await page.getByLabel('Email').fill(colleague);
      await page.getByRole('button', { name: 'Send invitation' }).click();
      await page.getByText(`An invitation is on its way to ${colleague}`).waitFor();
      await system.catcher!.waitFor((m) => m.to.includes(colleague) && /invitation to the TotalOne operator console/.test(m.subject), 15_000);
      const colleagueRow = page.getByRole('row', { name: new RegExp(colleague.replace(/\./g, '\\.')) });
      assert.match(await colleagueRow.innerText(), /Support/);
      assert.match(await colleagueRow.innerText(), /invited/);
      await look(page, 'console-16-operators', 'operators');
      await colleagueRow.getByRole('button', { name: /Make admin/ }).click();
      const roleDialog = page.getByRole('dialog', { name: `Make ${colleague} an administrator` });
      await roleDialog.getByLabel('Reason').fill('Covers for the team lead');
      await roleDialog.getByRole('button', { name: 'Change role' }).click();
      await page.getByText(`${colleague} is now an administrator.`).waitFor();
      await roleDialog.waitFor({ state: 'hidden' });
      // A reason typed the moment the dialog opens (faster than any person) is kept: the form is
      // ready before the dialog shows, and stays so as it renders.
      assert.deepEqual(await atOnce(page, [{ click: `Disable ${colleague}`, dialog: 'opens' }, { type: 'Invited by mistake' }]), { open: true, reason: 'Invited by mistake' });
      const disableDialog = page.getByRole('dialog', { name: `Disable ${colleague}` });
      await look(page, 'console-17-operators-disable', 'disable dialog');
      await disableDialog.getByRole('button', { name: 'Disable operator' }).click();
      await page.getByText(`${colleague} is disabled; their sessions have ended.`).waitFor();
      await waitFor('the row shows the operator disabled', async () => /disabled/.test(await colleagueRow.innerText()), 5_000);
      // The last active administrator cannot step down: the dialog says why and stays open.
      await page.getByRole('row', { name: /you/ }).getByRole('button', { name: /Make support/ }).click();
      const selfDialog = page.getByRole('dialog', { name: `Make ${email} a support operator` });
      await selfDialog.getByLabel('Reason').fill('Trying to step down');
      await selfDialog.getByRole('button', { name: 'Change role' }).click();
      await selfDialog.getByText(/last active administrator/).waitFor();
      // Cancelled and opened again at once, the dialog stays open (the first closing's event comes late), empty.
      assert.deepEqual(await atOnce(page, [{ click: 'Cancel', dialog: 'closes' }, { click: `Make support (${email})`, dialog: 'opens' }]), { open: true, reason: '' });
      await selfDialog.getByRole('button', { name: 'Cancel' }).click();
      await selfDialog.waitFor({ state: 'hidden' });

      // --- the session ends while the page is open: back to sign-in with a message ---
      system.clock.advance(31 * 60_000);
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Overview' }).click();
      await page.getByRole('heading', { name: 'Sign in to the operator console' }).waitFor();
      await page.getByText('Session ended').waitFor();
      await look(page, 'console-18-session-ended', 'session ended');
      system.clock.advance(30_000);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByLabel('Authenticator code').fill(totpCode(secret, system.clock.now()));
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Overview' }).waitFor();

      // --- sign out ---
      await page.getByRole('button', { name: 'Sign out', exact: true }).click();
      await page.getByRole('heading', { name: 'Sign in to the operator console' }).waitFor();
      await page.getByText('You are signed out.').waitFor();
      await look(page, 'console-19-signed-out', 'signed out');
      assert.equal((await page.request.get(`${base}/api/console/session`)).status(), 401);

    });
    assert.deepEqual(consoleErrors, [], 'no script errors in the console pages');
    await context.close();
  });

  it('a support operator has no operator management; a used invitation and a bad link say so', { timeout: 60_000 }, async () => {
    const base = system.url!;
    const operator = await activeOperator(system, 'support');
    const http = await signIn(system, operator);
    const cookie = http.cookie('operator_session');
    assert.ok(cookie, 'the HTTP sign-in set the session cookie');
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addCookies([{ name: 'operator_session', value: cookie, url: base }]);
    const page = await context.newPage();

    await page.goto(`${base}/console/operators`);
    await page.getByRole('heading', { name: 'Administrators only' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Console' });
    assert.equal(await nav.getByRole('link', { name: 'Operators' }).count(), 0, 'no Operators entry for support');
    assert.match(await page.locator('header').innerText(), /Support/);
    await look(page, 'console-20-support-role-admin-only', 'admin-only page for support');

    await page.goto(`${base}/console/no-such-page`);
    await page.getByRole('heading', { name: 'No such console page' }).waitFor();
    await look(page, 'console-22-no-such-page', 'no such console page');

    // The invitation was used by activeOperator: opening it again says so and offers sign-in.
    const usedToken = await waitForInvite(system, operator.email);
    await page.goto(`${base}/console/invite#token=${usedToken}`);
    await page.getByRole('heading', { name: 'This invitation has been used' }).waitFor();
    await page.getByRole('link', { name: 'Go to sign-in' }).waitFor();
    await look(page, 'console-21-invite-used', 'used invitation');
    await page.goto(`${base}/console/invite#token=short`);
    await page.getByRole('heading', { name: 'This invitation link is incomplete' }).waitFor();
    await look(page, 'console-23-invite-incomplete', 'incomplete invitation link');

    // Signed out: a console page sends the browser to sign-in, and back after it.
    await context.clearCookies();
    await page.goto(`${base}/console/support`);
    await page.getByRole('heading', { name: 'Sign in to the operator console' }).waitFor();
    assert.equal(new URL(page.url()).searchParams.get('next'), '/console/support');
    await look(page, 'console-24-sign-in-then-back', 'sign-in on the way to a console page');
    system.clock.advance(30_000);
    await page.getByLabel('Email').fill(operator.email);
    await page.getByLabel('Password').fill(operator.password);
    await page.getByLabel('Authenticator code').fill(totpCode(operator.secret, system.clock.now()));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Support inbox' }).waitFor();
    await look(page, 'console-25-support-inbox-support-role', 'support inbox for support');
    await context.close();
  });
});

type Step = { click: string; dialog?: 'opens' | 'closes' } | { type: string };

/**
 * Runs `steps` in the page at machine speed, each at once after the one before (no task between
 * them, as no person could): click the button with this text (in the open dialog first), waiting for
 * a dialog to open or close when asked; type into the open dialog's text area. Then, two frames
 * later, whether that dialog is open and what its text area holds.
 */
function atOnce(page: Page, steps: Step[]): Promise<{ open: boolean; reason: string }> {
  return page.evaluate(async (steps) => {
    let dialog: HTMLDialogElement | undefined;
    const dialogChange = (open: boolean) =>
      new Promise<HTMLDialogElement>((resolve) => {
        const observer = new MutationObserver((records) => {
          const changed = records.map((record) => record.target).find((target): target is HTMLDialogElement => target instanceof HTMLDialogElement && target.open === open);
          if (!changed) return;
          observer.disconnect();
          resolve(changed);
        });
        observer.observe(document.body, { attributes: true, attributeFilter: ['open'], subtree: true });
      });
    for (const step of steps) {
      if ('click' in step) {
        const changed = step.dialog ? dialogChange(step.dialog === 'opens') : undefined;
        const buttons = [...Array.from(document.querySelectorAll('dialog[open] button')), ...Array.from(document.querySelectorAll('button'))];
        const button = buttons.find((candidate) => candidate.textContent === step.click) as HTMLButtonElement | undefined;
        if (!button) throw new Error(`No button "${step.click}"`);
        button.click();
        if (changed) dialog = await changed;
      } else {
        const area = dialog?.querySelector('textarea');
        if (!area) throw new Error('No dialog with a text area is open');
        // The prototype's setter: as typing does, past React's record of the value it set.
        Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!.call(area, step.type);
        area.dispatchEvent(new Event('input', { bubbles: true }));
      }
    }
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    return { open: dialog?.open ?? false, reason: dialog?.querySelector('textarea')?.value ?? '' };
  }, steps);
}
