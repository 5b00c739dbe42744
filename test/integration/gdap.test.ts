import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { testBackends } from '../support/database.ts';
import { startTestSystem, type TestSystem } from '../support/system.ts';
import { given } from '../support/given.ts';
import { partnerState, waitFor } from '../support/sync.ts';
import type { Browser } from '../support/http.ts';
import { activeOperator, signIn } from './operators.helpers.ts';

// GDAP through the whole product: a partner connects, the sync imports its customers and then reads
// its GDAP relationships (emulator scenarios gdap-partial, and ready without the permission); the
// customers carry what TotalOne can do in their tenants, and why not.

async function gdapRead(system: TestSystem, partnerId: string, after = new Date(0)) {
  return waitFor('the GDAP read', async () => {
    const row = await system.database.db.selectFrom('gdap_reads').selectAll().where('partner_id', '=', partnerId).executeTakeFirst();
    return row && new Date(row.read_at) > after ? row : undefined;
  });
}

/** The status stream until it ends: its last event. */
async function lastStatusEvent(browser: Browser) {
  const response = await fetch(`${browser.baseUrl}/api/status/events`, { headers: { cookie: `signup_session=${browser.cookie('signup_session')}` }, signal: AbortSignal.timeout(60_000) });
  const events = (await response.text()).split('\n\n').filter((block) => block.startsWith('event: status'));
  return JSON.parse(events.at(-1)!.split('\n').find((l) => l.startsWith('data: '))!.slice(6));
}

async function customers(system: TestSystem, partnerId: string) {
  return system.database.db.selectFrom('customers').selectAll().where('partner_id', '=', partnerId).where('removed_at', 'is', null).execute();
}

for (const backend of testBackends()) {
  describe(`GDAP after the customer import (${backend})`, () => {
    let system: TestSystem;
    let emulator: Emulator;

    before(async () => {
      emulator = await startEmulator({ scenario: 'gdap-partial' });
      system = await startTestSystem(backend, { emulator });
    });
    after(async () => {
      await system.dispose();
      await emulator.close();
    });

    /** Every page of a customer list (tenant view or console), following nextCursor. */
    async function allPages(browser: Browser, path: string) {
      const items: any[] = [];
      let cursor: string | null = null;
      do {
        const response: { status: number; body: any } = await browser.get(`${path}${path.includes('?') ? '&' : '?'}limit=40${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        assert.equal(response.status, 200, JSON.stringify(response.body));
        items.push(...response.body.items);
        cursor = response.body.nextCursor;
      } while (cursor);
      return items;
    }

    it('gdap-partial: about 30% of the customers are flagged with the reason; tenant view, status and console show which and why', async () => {
      const { partner, browser } = await given.connectedPartner(system, emulator, { scenario: 'gdap-partial', customers: 250 });
      // The status stream, opened while importing, ends only once GDAP was read after the import.
      const last = await lastStatusEvent(browser);
      assert.equal(last.state, 'active');
      assert.equal(last.gdap.outcome, 'read');
      assert.ok(last.gdap.cannotManage > 0);
      await waitFor('partner active', async () => (await partnerState(system, partner.id)) === 'active');
      const read = await gdapRead(system, partner.id);
      assert.equal(read.outcome, 'read');
      assert.equal(read.relationships, 250 - 38, 'none for a half of the 30%');
      const rows = await customers(system, partner.id);
      assert.equal(rows.length, 250);
      const flagged = rows.filter((r) => r.gdap_blocker !== null);
      assert.ok(Math.abs(flagged.length - 75) <= 2, `${flagged.length} flagged`);
      assert.deepEqual(new Set(flagged.map((r) => r.gdap_blocker)), new Set(['no_relationship', 'expired']));
      assert.ok(flagged.every((r) => (r.gdap_blocker === 'expired') === (r.gdap_status === 'expired')));
      const manageable = rows.filter((r) => r.gdap_blocker === null);
      assert.ok(manageable.every((r) => r.gdap_status === 'active' && r.gdap_global_admin === true && r.gdap_group_assigned === true && r.gdap_read_only === false && r.gdap_auto_extend === false));
      assert.ok(manageable.every((r) => r.gdap_end_at !== null && (r.gdap_roles as unknown as string[]).includes('62e90394-69f5-4237-9190-012177145e10')));

      // Tenant view: every customer says what GDAP allows; the filter lists exactly the flagged ones.
      const all = await allPages(browser, '/api/tenant/customers');
      assert.equal(all.length, 250);
      const noAccess = await allPages(browser, '/api/tenant/customers?access=no_admin_access');
      assert.deepEqual(noAccess.map((c) => c.id).sort(), flagged.map((r) => r.customer_id).sort());
      assert.ok(noAccess.every((c) => c.gdap.canManage === false && /GDAP relationship/.test(c.gdap.reason) && /Partner Center > Customers/.test(c.gdap.fix)));
      const one = all.find((c) => c.gdap.canManage);
      assert.deepEqual({ status: one.gdap.status, globalAdmin: one.gdap.globalAdmin, groupAssigned: one.gdap.groupAssigned, blocker: one.gdap.blocker }, { status: 'active', globalAdmin: true, groupAssigned: true, blocker: null });
      const searched = await browser.get(`/api/tenant/customers?access=no_admin_access&search=${encodeURIComponent(noAccess[0].companyName.slice(0, 6))}`);
      assert.ok(searched.body.items.length >= 1 && searched.body.items.every((c: any) => c.gdap.canManage === false));

      // Status page: how many cannot be managed yet, and why.
      const status = await browser.get('/api/status');
      assert.equal(status.body.gdap.outcome, 'read');
      assert.equal(status.body.gdap.cannotManage, flagged.length);
      assert.equal(status.body.gdap.manageable, 250 - flagged.length);
      assert.deepEqual(status.body.gdap.reasons.map((r: any) => r.blocker).sort(), ['expired', 'no_relationship']);
      assert.equal(status.body.gdap.reasons.reduce((n: number, r: any) => n + r.count, 0), flagged.length);

      // Console: the partner's customers with the "no admin access" filter.
      const operator = await signIn(system, await activeOperator(system, 'support'));
      const consoleList = await allPages(operator, `/api/console/partners/${partner.id}/customers?access=no_admin_access`);
      assert.deepEqual(consoleList.map((c) => c.id).sort(), flagged.map((r) => r.customer_id).sort());
      const consoleAll = await operator.get(`/api/console/partners/${partner.id}/customers`);
      assert.equal(consoleAll.body.gdap.cannotManage, flagged.length);
      assert.equal((await browser.get(`/api/console/partners/${partner.id}/customers`)).status, 401, 'partners cannot use the console API');
    });

    it('without DelegatedAdminRelationship.Read.All: customers still imported, GDAP unknown with the fix; granting it clears that on the next import', async () => {
      const { partner, browser, tenant } = await given.connectedPartner(system, emulator, { scenario: 'gdap-readonly', customers: 250, patches: [{ op: 'revokeAppPermission', permission: 'DelegatedAdminRelationship.Read.All' }] });
      await waitFor('partner active', async () => (await partnerState(system, partner.id)) === 'active');
      const read = await gdapRead(system, partner.id);
      assert.equal(read.outcome, 'permission_missing');
      assert.match(read.fix ?? '', /add DelegatedAdminRelationship\.Read\.All, then press "Grant admin consent/);
      const rows = await customers(system, partner.id);
      assert.equal(rows.length, 250);
      assert.ok(rows.every((r) => r.gdap_status === 'unknown' && r.gdap_blocker === 'unknown'));
      const status = await browser.get('/api/status');
      assert.equal(status.body.gdap.outcome, 'permission_missing');
      assert.equal(status.body.gdap.cannotManage, 250);
      assert.match(status.body.gdap.fix, /DelegatedAdminRelationship\.Read\.All/);

      tenant.patch({ op: 'grantAppPermission', permission: 'DelegatedAdminRelationship.Read.All' });
      const readAt = new Date(read.read_at);
      system.clock.advance(60_000);
      await system.services.sync.runJob({ partnerId: partner.id, reason: 'operator' });
      const again = await gdapRead(system, partner.id, readAt);
      assert.equal(again.outcome, 'read');
      const after = await customers(system, partner.id);
      assert.ok(after.every((r) => r.gdap_blocker === 'read_only' && r.gdap_read_only === true && r.gdap_global_admin === false && r.gdap_group_assigned === true));
    });
  });
}
