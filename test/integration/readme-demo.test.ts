import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { findFreePort } from '../../server/lib/net.ts';
import { acceptTerms, signInAs } from '../support/connect.ts';
import { migratedDemoDataFolder } from '../support/database.ts';
import { demoEnv, mfaCode, startDemo, waitForInboxEmail, type Demo, type DemoValues } from '../support/demo.ts';
import { linkToken, signupRequest } from '../support/factories.ts';
import { compiledCommand } from '../support/compiled.ts';
import { Browser } from '../support/http.ts';
import { comparableStartup, readme, readmeStartupSample } from '../support/readme.ts';
import { waitFor } from '../support/sync.ts';
import { inviteToken, strongPassword, totpCode } from './operators.helpers.ts';

// The README's "Run it" as a newcomer follows it, over HTTP: the demo starts on its own data folder
// (its database created and migrated already, as a first start leaves it) and prints what the
// README shows; every printed address answers; the demo tenant signs up with the printed domain
// (the emails read from the demo inbox), connects with the printed values (the MFA code from the
// printed address) and becomes active; the console invitation in the demo inbox sets up the first
// operator; the tenant signs up once per data folder; `npm run operator -- create` on the stopped
// demo puts a new invitation in the inbox of the next start; `npm run demo:reset` refuses while the
// demo runs, asks, and deletes the folder.

const scripts = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** An `npm run` command as the README writes it, run in a child process; its exit code and output. */
function npmRun(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return runCommand('npm', ['run', ...args], env);
}

function runCommand(command: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // No terminal on stdin: a question is answered "no".
    const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/** Step 1 and 2 of the README: sign up with the printed domain and MPN ID, verify, open the signup link; all from the demo inbox. */
async function signUpDemoTenant(values: DemoValues, browser: Browser) {
  const tenant = values.tenant!;
  const request = signupRequest({ company: { entraDomain: tenant.entraDomain, mpnId: tenant.mpnId } });
  const email = request.primaryContact.email;
  assert.equal((await browser.post('/api/signups', request)).status, 202);
  const confirmation = await waitForInboxEmail(values.demoInbox, (m) => m.to.includes(email) && /Confirm your email/.test(m.subject), 'the confirmation email in the demo inbox');
  assert.equal((await browser.post('/api/email-verifications', { token: linkToken(confirmation.text, 'verify') })).status, 200);
  const linkMail = await waitForInboxEmail(values.demoInbox, (m) => m.to.includes(email) && /one-time signup link/.test(m.subject), 'the signup link email in the demo inbox');
  const claim = await browser.post('/api/signup-links/claim', { token: linkToken(linkMail.text, 'signup-link') });
  assert.equal(claim.status, 200, JSON.stringify(claim.body));
  return request;
}

/** Step 3 of the README: the printed values typed into the wizard, Microsoft's sign-in with the printed account and MFA code. */
async function connectDemoTenant(values: DemoValues, browser: Browser) {
  const tenant = values.tenant!;
  await acceptTerms(browser);
  const entra = await browser.post('/api/connect/entra-app', { tenant: tenant.entraDomain, ...tenant.entraApp });
  assert.equal(entra.status, 200, JSON.stringify(entra.body));
  const partnerCenter = await browser.post('/api/connect/partner-center-app', tenant.partnerCenter);
  assert.equal(partnerCenter.status, 200, JSON.stringify(partnerCenter.body));
  const code = await mfaCode(tenant.mfaCodes, tenant.serviceAccount.upn);
  await signInAs(browser, { ...tenant.serviceAccount, totp: () => code });
  const state = await browser.get('/api/connect/state');
  assert.equal(state.body.step, 'preflight', JSON.stringify(state.body));
  const commit = await browser.post('/api/connect/commit');
  assert.equal(commit.status, 200, JSON.stringify(commit.body));
  assert.equal(commit.body.step, 'done');
}

describe('the README demo', () => {
  it('every `npm run` command the README names exists', () => {
    const named = [...new Set([...readme.matchAll(/npm run ([a-z][a-z:-]*)/g)].map((m) => m[1]!))];
    assert.ok(named.includes('demo:reset') && named.includes('operator'), named.join(', '));
    assert.deepEqual(named.filter((name) => !Object.keys(scripts).includes(name)), []);
  });

  it('starts as the README shows, and the demo goes as the README tells it: signup, connect, console, operator, reset', { timeout: 300_000 }, async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'totalone-readme-')), 'data');
    await migratedDemoDataFolder(dataDir);
    const options = { dataDir, port: await findFreePort() };
    let demo: Demo | undefined;
    try {
      demo = await startDemo(options);
      const { system, printed, values } = demo;
      const actual = { appUrl: system.publicUrl, emulatorUrl: system.emulator!.baseUrl, catcherPort: system.catcher!.port, dataDir };
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

      // Steps 1 and 2: the printed Entra domain and MPN ID; both emails from the demo inbox.
      const browser = new Browser(system.url!);
      const request = await signUpDemoTenant(values, browser);

      // Step 3: connect with the printed values; the customer import and the status page follow.
      await connectDemoTenant(values, browser);
      const status = await waitFor('the demo tenant active after its customer import', async () => {
        const response = await browser.get('/api/status');
        assert.equal(response.status, 200, JSON.stringify(response.body));
        return response.body.state === 'active' ? response.body : undefined;
      });
      assert.equal(status.companyName, request.company.legalName);
      assert.ok(status.customerCount > 0, JSON.stringify(status));

      // The console: the invitation for the first administrator is in the demo inbox; set a
      // password, enrol an authenticator (codes computed from the secret shown), sign in.
      const consoleLine = printed.find((line) => line.startsWith('  Operator console'))!;
      const adminEmail = /invitation for (\S+) in the demo inbox/.exec(consoleLine)?.[1];
      assert.ok(adminEmail, consoleLine);
      const invitation = await waitForInboxEmail(values.demoInbox, (m) => m.to.includes(adminEmail) && /invitation to the TotalOne operator console/.test(m.subject), 'the console invitation in the demo inbox');
      assert.ok(invitation.text.includes(`${values.operatorConsole}/invite#token=`), invitation.text);
      const operator = new Browser(system.url!);
      const token = inviteToken(invitation.text);
      assert.equal((await operator.post('/api/console/invites/password', { token, password: strongPassword })).status, 200);
      const enrolment = await operator.post('/api/console/invites/totp', { token });
      assert.equal(enrolment.status, 200, JSON.stringify(enrolment.body));
      const confirmed = await operator.post('/api/console/invites/totp/confirm', { token, code: totpCode(enrolment.body.secret, new Date()) });
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
      // A code is accepted once: sign in with the next one (the authenticator's window allows it).
      const signedIn = await operator.post('/api/console/session', { email: adminEmail, password: strongPassword, code: totpCode(enrolment.body.secret, new Date(Date.now() + 30_000)) });
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
      const partners = await operator.get(`/api/console/partners?q=${encodeURIComponent(values.tenant!.entraDomain)}`);
      assert.equal(partners.status, 200, JSON.stringify(partners.body));
      assert.match(JSON.stringify(partners.body), new RegExp(request.company.legalName));

      // Once per data folder: a second signup of the demo tenant gets only the "already signing up" email.
      const again = signupRequest({ company: { entraDomain: values.tenant!.entraDomain, mpnId: values.tenant!.mpnId } });
      assert.equal((await new Browser(system.url!).post('/api/signups', again)).status, 202);
      const refused = await waitForInboxEmail(values.demoInbox, (m) => m.to.includes(again.primaryContact.email), 'the answer to the second signup');
      assert.match(refused.subject, /Your company is already signing up/);
      assert.match(readme, /a second signup with the\s+same Entra domain gets only a "Your company is already signing up" email/);

      // `npm run demo:reset` refuses while the demo runs.
      assert.match(readme, /stop the\s+demo and run `npm run demo:reset` \(it asks before deleting `\.\/data`; `-- --yes` skips the question;/);
      const env = { DATA_DIR: dataDir };
      const running = await npmRun(['demo:reset', '--', '--yes'], env);
      assert.notEqual(running.code, 0, running.output);
      assert.match(running.output, /Stop the demo first/);
      assert.ok(existsSync(dataDir), 'nothing deleted while the demo runs');

      // "Invitation used or lost? Stop the demo, run `npm run operator -- create ...`, start it again".
      await demo.stop();
      demo = undefined;
      const command = /Stop the demo, run\s+`npm run operator -- (create --email (\S+) --role admin)`, start it again: the new\s+invitation is in the demo inbox/.exec(readme);
      assert.ok(command, 'the README says how to get a new invitation');
      // `npm run operator` runs the compiled command-line tool (`npm start` builds it); the run's compiled one, here.
      assert.equal(scripts.operator, 'node scripts/start.mjs operators');
      const created = await runCommand(process.execPath, [...(await compiledCommand('operators')), ...command[1]!.split(' ')], demoEnv(options));
      assert.equal(created.code, 0, created.output);
      demo = await startDemo(options);
      assert.match(demo.printed.join('\n'), /Invitation used or lost\?/);
      const newInvitation = await waitForInboxEmail(demo.values.demoInbox, (m) => m.to.includes(command[2]!) && /invitation to the TotalOne operator console/.test(m.subject), 'the new invitation in the demo inbox');
      assert.ok(newInvitation.text.includes(`${demo.values.operatorConsole}/invite#token=`), newInvitation.text);
      const inspected = await new Browser(demo.system.url!).post('/api/console/invites/inspect', { token: inviteToken(newInvitation.text) });
      assert.equal(inspected.status, 200, JSON.stringify(inspected.body));

      // Stopped, `npm run demo:reset` asks first (no terminal here: nothing deleted), `-- --yes` deletes.
      await demo.stop();
      demo = undefined;
      const asked = await npmRun(['demo:reset'], env);
      assert.notEqual(asked.code, 0, asked.output);
      assert.match(asked.output, /Delete .*every signup, email and operator of the demo/);
      assert.ok(existsSync(dataDir), 'nothing deleted without a yes');
      const reset = await npmRun(['demo:reset', '--', '--yes'], env);
      assert.equal(reset.code, 0, reset.output);
      assert.match(reset.output, /`npm start` begins a fresh demo/);
      assert.equal(existsSync(dataDir), false, 'the data folder is gone');
    } catch (error) {
      if (demo?.logLines.length) (error as Error).message += `\nThe demo logged:\n${demo.logLines.slice(-30).join('\n')}`;
      throw error;
    } finally {
      await demo?.stop();
      rmSync(join(dataDir, '..'), { recursive: true, force: true });
    }
  });
});
