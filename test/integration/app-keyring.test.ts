import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { MINUTE } from '../../server/lib/clock.ts';
import { deriveAppKey } from '../../server/modules/vault/vault.appkeys.fns.ts';
import { acceptTerms, entraAppInput, partnerCenterAppInput, signInWithMicrosoft } from '../support/connect.ts';
import { testBackends, type TestDatabase } from '../support/database.ts';
import { dumpAllRows } from '../support/dump.ts';
import { linkToken, signupRequest } from '../support/factories.ts';
import { Browser } from '../support/http.ts';
import { claimedSignup } from '../support/journeys.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';
import { activeOperator, signIn } from './operators.helpers.ts';

// The app keyring: everything the app seals (operator authenticator secrets, link tokens waiting in
// the outbox, sign-in state, a partner's Entra secret before its vault root) is under versioned app
// keys owned by the vault. `vault:rotate` adds a version and re-seals the long-lived values;
// short-lived ones keep opening under the old version until it is retired. The lookup keys (link
// and session hashes) live in the keyring too, so a new APP_SECRET changes nothing that is stored.

const firstSecret = Buffer.alloc(32, 7).toString('base64'); // the test systems' APP_SECRET
const newSecret = randomBytes(32).toString('base64');

/** The format releases before the keyring wrote: AES-256-GCM under a key derived from APP_SECRET, no key version. */
function legacySeal(name: string, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveAppKey(Buffer.from(firstSecret, 'base64'), name), iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

for (const backend of testBackends()) {
  describe(`App keyring: rotation with vault:rotate and a new APP_SECRET (${backend})`, () => {
    let emulator: Emulator;
    let system: TestSystem;
    let database: TestDatabase;
    const vaultKeyFile = join(tmpdir(), `totalone-app-keyring-${backend}-${process.pid}.json`);

    /** Another start of the app on the same database and vault key file (the previous one stopped). */
    async function restart(options: { roles?: Array<'web' | 'worker'>; appSecret?: string } = {}) {
      await system.stop();
      system = await startTestSystem(backend, {
        emulator, database, clock: system.clock, logLines: system.logLines, vaultKeyFile,
        ...(options.roles ? { roles: options.roles } : {}),
        ...(options.appSecret ? { env: { APP_SECRET: options.appSecret } } : {}),
      });
      return system;
    }

    before(async () => {
      emulator = await startEmulator({ scenario: 'ready' });
      system = await startTestSystem(backend, { emulator, vaultKeyFile });
      database = system.db;
    });
    after(async () => {
      await system.dispose();
      await emulator.close();
      rmSync(vaultKeyFile, { force: true });
    });

    it('operators keep their authenticators, pending links and a pending connect keep working; a retired version no longer opens', async () => {
      const db = () => system.database.db;
      // Before rotation: an operator with an authenticator, a partner half-way through connecting
      // (its Entra secret waits for the Partner Center secret), a link emailed and not used yet.
      const operator = await activeOperator(system, 'admin');
      await signIn(system, operator);
      const totpBefore = await db().selectFrom('operators').select('totp_secret').where('id', '=', operator.id).executeTakeFirstOrThrow();
      assert.match(totpBefore.totp_secret!, /^v2\.1\./, 'sealed under app key version 1');

      const connecting = await claimedSignup(system);
      await acceptTerms(connecting.browser);
      const entra = await connecting.browser.post('/api/connect/entra-app', entraAppInput(connecting.tenant));
      assert.equal(entra.status, 200, JSON.stringify(entra.body));
      const pending = await db().selectFrom('pending_credentials').selectAll().where('partner_id', '=', connecting.partner.id).execute();
      assert.deepEqual(pending.map((p) => p.field), ['entra_client_secret'], 'the Entra secret waits in the vault');
      assert.match(pending[0]!.sealed, /^v2\.1\./);
      const connection = await db().selectFrom('microsoft_connections').select('pending_entra_secret').where('partner_id', '=', connecting.partner.id).executeTakeFirstOrThrow();
      assert.equal(connection.pending_entra_secret, null, 'no partner credential outside the vault');
      assert.ok(!(await dumpAllRows(db())).includes(connecting.tenant.facts.totalOneApp.secret!));

      const emailed = signupRequest();
      assert.equal((await new Browser(system.url!).post('/api/signups', emailed)).status, 202);
      const verification = await system.catcher!.waitFor((m) => m.to.includes(emailed.primaryContact.email) && /Confirm your email/.test(m.subject), 15_000);
      const emailedToken = linkToken(verification.text, 'verify');

      // An email still in the outbox (no worker runs): its link token is sealed under version 1.
      await restart({ roles: ['web'] });
      const unsent = signupRequest();
      assert.equal((await new Browser(system.url!).post('/api/signups', unsent)).status, 202);
      const outboxRow = await db().selectFrom('outbox').select(['sealed_secrets', 'status']).where('to_address', '=', unsent.primaryContact.email).executeTakeFirstOrThrow();
      assert.equal(outboxRow.status, 'pending');
      assert.match(outboxRow.sealed_secrets!, /^v2\.1\./);
      const sealedUnderOne = system.services.vault.appKeys.sealer('oauth').seal('state of a sign-in in progress', 'oauth:test');

      // `npm run vault:rotate` (the same call, in process: this database may be an in-memory PGlite).
      const summary = await system.services.vault.rotate({ stores: system.services.sealedStores });
      assert.deepEqual(summary.appKey, { previous: 1, active: 2 });
      assert.ok(summary.appKeysRewrapped >= 2, 'the lookup root and the sealing keys moved to the new vault key version');
      assert.deepEqual(summary.resealed.map((s) => [s.label, s.resealed, s.byVersion]), [
        ['pending partner credentials', 1, { 2: 1 }],
        ['operator authenticator secrets', 1, { 2: 1 }],
      ]);
      const vaultKeys = await db().selectFrom('app_keys').select(['version', 'vault_key_version']).execute();
      assert.ok(vaultKeys.every((k) => k.vault_key_version === summary.activeVersion), JSON.stringify(vaultKeys));

      // A new APP_SECRET, every process restarted with it, a worker again.
      await restart({ appSecret: newSecret });
      // The unsent email goes out (its token opens under version 1) and its link works.
      const late = await system.catcher!.waitFor((m) => m.to.includes(unsent.primaryContact.email) && /Confirm your email/.test(m.subject), 15_000);
      assert.equal((await new Browser(system.url!).post('/api/email-verifications', { token: linkToken(late.text, 'verify') })).status, 200);
      // The link emailed before rotation works (its hash is keyed by the lookup root, not APP_SECRET).
      assert.equal((await new Browser(system.url!).post('/api/email-verifications', { token: emailedToken })).status, 200);
      // The operator signs in with the same authenticator.
      await signIn(system, operator);

      // The pending connect completes: same browser session, the Entra secret from the vault.
      const browser = connecting.browser.at(system.url!);
      const tenant = connecting.tenant;
      // The restarted app listens elsewhere: its reply address is registered too.
      tenant.patch({ op: 'addRedirectUri', uri: `${system.publicUrl}/api/connect/microsoft/callback`, appId: tenant.facts.partnerCenter.webAppId });
      const pc = await browser.post('/api/connect/partner-center-app', partnerCenterAppInput(tenant));
      assert.equal(pc.status, 200, JSON.stringify(pc.body));
      await signInWithMicrosoft(browser, tenant);
      const commit = await browser.post('/api/connect/commit');
      assert.equal(commit.status, 200, JSON.stringify(commit.body));
      assert.equal((await system.services.vault.open(connecting.partner.id, 'entra_client_secret')), tenant.facts.totalOneApp.secret);
      assert.equal((await db().selectFrom('pending_credentials').select('field').where('partner_id', '=', connecting.partner.id).execute()).length, 0, 'the pending copy is gone');

      // Retiring version 1: not while running instances may still seal with it, never the active one.
      const sealer = system.services.vault.appKeys.sealer('oauth');
      assert.equal(sealer.open(sealedUnderOne, 'oauth:test'), 'state of a sign-in in progress', 'version 1 opens until retired');
      await assert.rejects(system.services.vault.retireAppKey(2), { code: 'APP_KEY_ACTIVE' });
      await assert.rejects(system.services.vault.retireAppKey(1), { code: 'APP_KEY_RECENT' });
      system.clock.advance(2 * MINUTE);
      await system.services.vault.retireAppKey(1, { stores: system.services.sealedStores });
      assert.throws(() => sealer.open(sealedUnderOne, 'oauth:test'), /retired/);
      const retired = await db().selectFrom('app_keys').selectAll().where('version', '=', 1).executeTakeFirstOrThrow();
      assert.equal(retired.wrapped_key, null, 'its key material is gone');
      assert.deepEqual((await system.services.vault.status()).appKeys, { active: 2, usable: [2], retired: [1] });
      await signIn(system, operator);
      // A restart with the first APP_SECRET again changes nothing either.
      await restart({ appSecret: firstSecret });
      await signIn(system, operator);
      assert.throws(() => system.services.vault.appKeys.sealer('oauth').open(sealedUnderOne, 'oauth:test'), /retired/);
    });

    it('values sealed before the app keyring existed move under it at start-up: authenticators, and the Entra secret into the vault', async () => {
      const db = () => system.database.db;
      const operator = await activeOperator(system, 'support');
      const legacyTotp = legacySeal('operator-totp-seal', operator.secret, `operator-totp:${operator.id}`);
      await db().updateTable('operators').set({ totp_secret: legacyTotp }).where('id', '=', operator.id).execute();

      const partner = (await claimedSignup(system)).partner;
      const secret = `Ent8Q~${randomBytes(27).toString('base64url')}`;
      await db().insertInto('microsoft_connections').values({ partner_id: partner.id, pending_entra_secret: legacySeal('connect-seal', secret, `pending-entra:${partner.id}`), updated_at: system.clock.now() }).execute();

      await restart({ appSecret: firstSecret });
      const totp = await db().selectFrom('operators').select('totp_secret').where('id', '=', operator.id).executeTakeFirstOrThrow();
      assert.match(totp.totp_secret!, new RegExp(`^v2\\.${system.services.vault.appKeys.activeVersion()}\\.`));
      await signIn(system, operator);
      const connection = await db().selectFrom('microsoft_connections').select('pending_entra_secret').where('partner_id', '=', partner.id).executeTakeFirstOrThrow();
      assert.equal(connection.pending_entra_secret, null);
      assert.equal(await system.services.credentials.pendingEntraSecret(partner.id), secret);
    });
  });
}
