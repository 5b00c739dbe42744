import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { runOperatorCli } from '../../server/modules/operators/operators.cli.main.ts';
import { migratedDemoDataFolder, testBackends } from '../support/database.ts';
import { compiledCommand } from '../support/compiled.ts';
import { Browser } from '../support/http.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';
import { acceptInvite, operatorEmail, signIn, strongPassword, waitForInvite } from './operators.helpers.ts';

// Operator console: `npm run operator -- ...`. On PostgreSQL it runs beside the serving system
// (which sends the invitation), and the invitee completes the set-up there. On PGlite the app owns
// its data folder, so the CLI gets a folder of its own. The command runs as its own process where
// the process itself is the point (usage, exit codes, the first create); the other commands call
// the same function in this process, which saves a Node start per command.

const run = promisify(execFile);
const appSecret = Buffer.alloc(32, 7).toString('base64'); // the test systems' APP_SECRET
const baseEnv = (env: Record<string, string>) => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'error', APP_MODE: 'demo', ...env });

/** `npm run operator -- ...` as a process of its own. */
async function cliProcess(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(process.execPath, [...(await compiledCommand('operators')), ...args], { env: baseEnv(env), timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** The same command, in this process. */
async function cli(args: string[], env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOperatorCli(args, { env: baseEnv(env), out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, stdout: out.map((l) => `${l}\n`).join(''), stderr: err.map((l) => `${l}\n`).join('') };
}

describe('Operator CLI: arguments', () => {
  it('explains its usage and refuses bad arguments before touching a database', async () => {
    const env = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
    const help = await cliProcess(['--help'], env);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /npm run operator -- create --email <address> --role admin\|support/);
    const badRole = await cliProcess(['create', '--email', 'x@totalone.example', '--role', 'root'], env);
    assert.equal(badRole.code, 2);
    assert.match(badRole.stderr, /--role must be admin or support/);
    const badEmail = await cli(['create', '--email', 'not-an-address', '--role', 'admin'], env);
    assert.equal(badEmail.code, 2);
    assert.match(badEmail.stderr, /--email must be a valid address/);
  });
});

for (const backend of testBackends()) {
  describe(`Operator CLI (${backend})`, () => {
    if (backend === 'postgres') {
      let system: TestSystem;
      before(async () => {
        system = await startTestSystem(backend);
      });
      after(() => system.dispose());

      it('creates an operator beside the running system; the invitation arrives and the operator signs in', async () => {
        // The CLI opens the same vault key ring as the app (the app keyring is sealed under it).
        const env = { DATABASE_URL: system.db.url!, APP_SECRET: appSecret, PUBLIC_URL: system.publicUrl, VAULT_KEY_FILE: system.config.vault.provider === 'local' ? system.config.vault.keyFile : '' };
        const email = operatorEmail('cli');
        const created = await cliProcess(['create', '--email', email, '--role', 'admin'], env);
        assert.equal(created.code, 0, created.stderr);
        assert.match(created.stdout, new RegExp(`Operator ${email.replace(/\./g, '\\.')} \\(admin\\) created`));
        const token = await waitForInvite(system, email);
        const secret = await acceptInvite(system, token);
        const console = await signIn(system, { email, password: strongPassword, secret, id: '' });
        assert.equal((await console.get('/api/console/operators')).status, 200);

        const twice = await cli(['create', '--email', email, '--role', 'support'], env);
        assert.equal(twice.code, 1);
        assert.match(twice.stderr, /already exists/);
        const listed = await cli(['list'], env);
        assert.match(listed.stdout, new RegExp(`${email.replace(/\./g, '\\.')}\\tadmin\\tactive`));

        // Disabling needs another active admin to remain.
        const only = await cli(['disable', '--email', email], env);
        assert.equal(only.code, 1);
        assert.match(only.stderr, /last active administrator/);
        const other = operatorEmail('cli2');
        assert.equal((await cli(['create', '--email', other, '--role', 'admin'], env)).code, 0);
        const otherToken = await waitForInvite(system, other);
        await acceptInvite(system, otherToken);
        const disabled = await cli(['disable', '--email', email, '--reason', 'left the team'], env);
        assert.equal(disabled.code, 0, disabled.stderr);
        assert.equal((await console.get('/api/console/session')).status, 401, 'the disabled operator\u2019s session ended');
        const event = await system.database.db.selectFrom('audit_events').select(['actor_type', 'actor_id', 'details']).where('action', '=', 'operator.disabled').executeTakeFirstOrThrow();
        assert.equal(event.actor_type, 'system');
        assert.match(event.actor_id!, /^cli:/);
        assert.equal((event.details as { reason: string }).reason, 'left the team');
        assert.equal((await new Browser(system.url!).post('/api/console/invites/inspect', { token })).status, 410);
      });
    } else {
      it('creates, lists and disables operators in an embedded data folder', async () => {
        // The data folder as the demo's first start leaves it (its first start: production-build.test.ts).
        const dataDir = mkdtempSync(join(tmpdir(), 'totalone-operator-cli-'));
        await migratedDemoDataFolder(dataDir);
        try {
          writeFileSync(join(dataDir, 'app-secret'), appSecret, { mode: 0o600 });
          const env = { DATA_DIR: dataDir, START_EMULATOR: 'false' };
          const first = operatorEmail('a');
          const second = operatorEmail('b');
          const created = await cliProcess(['create', '--email', first, '--role', 'admin'], env);
          assert.equal(created.code, 0, created.stderr);
          assert.match(created.stdout, /email is sent when the app runs/);
          assert.equal((await cli(['create', '--email', second, '--role', 'support'], env)).code, 0);
          assert.equal((await cli(['invite', '--email', second], env)).code, 0);
          const disabled = await cli(['disable', '--email', second], env);
          assert.equal(disabled.code, 0, disabled.stderr);
          const listed = await cli(['list'], env);
          assert.equal(listed.code, 0, listed.stderr);
          assert.match(listed.stdout, new RegExp(`${first.replace(/\./g, '\\.')}\\tadmin\\tinvited`));
          assert.match(listed.stdout, new RegExp(`${second.replace(/\./g, '\\.')}\\tsupport\\tdisabled`));
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      });
    }
  });
}
