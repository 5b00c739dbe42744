import type { DbOrTx } from '../../db/database.ts';
import type { PartnerState } from '../../db/schema.ts';

// What the sync needs to know about a partner, read-only: its name and state, its contacts, and
// the Partner Center app it connected with. These tables belong to the signup and connect modules;
// this file is the one place the sync reads them, to be replaced by calls on those services
// (`signup.contacts(partnerId)`, `connect.partnerCenterApp(partnerId)`) once they offer them.

export interface SyncPartner {
  id: string;
  state: PartnerState;
  companyName: string;
  reference: string;
}

export interface SyncContact {
  email: string;
  firstName: string;
}

export function createSyncPartners() {
  return {
    async partner(db: DbOrTx, partnerId: string): Promise<SyncPartner | undefined> {
      const row = await db.selectFrom('partners').select(['id', 'state', 'legal_name', 'reference']).where('id', '=', partnerId).executeTakeFirst();
      return row ? { id: row.id, state: row.state, companyName: row.legal_name, reference: row.reference } : undefined;
    },

    async contacts(db: DbOrTx, partnerId: string): Promise<{ primary: SyncContact; secondary: SyncContact | undefined }> {
      const rows = await db.selectFrom('contacts').select(['role', 'email', 'first_name']).where('partner_id', '=', partnerId).execute();
      const primary = rows.find((r) => r.role === 'primary');
      if (!primary) throw new Error(`Partner ${partnerId} has no primary contact`);
      const secondary = rows.find((r) => r.role === 'secondary');
      return {
        primary: { email: primary.email, firstName: primary.first_name },
        secondary: secondary ? { email: secondary.email, firstName: secondary.first_name } : undefined,
      };
    },

    /** The committed connection's tenant and Partner Center web app, or undefined before commit. */
    async partnerCenterApp(db: DbOrTx, partnerId: string): Promise<{ tenantId: string; webAppId: string; upn: string | null } | undefined> {
      const row = await db
        .selectFrom('microsoft_connections')
        .select(['tenant_id', 'partner_center_web_app_id', 'service_account_upn', 'committed_at'])
        .where('partner_id', '=', partnerId)
        .executeTakeFirst();
      if (!row?.committed_at || !row.tenant_id || !row.partner_center_web_app_id) return undefined;
      return { tenantId: row.tenant_id, webAppId: row.partner_center_web_app_id, upn: row.service_account_upn };
    },

    /** The committed connection's Entra app and service account (for the GDAP read through Graph). */
    async graphApp(db: DbOrTx, partnerId: string): Promise<{ tenantId: string; entraAppId: string; serviceAccountObjectId: string | null; upn: string | null } | undefined> {
      const row = await db
        .selectFrom('microsoft_connections')
        .select(['tenant_id', 'entra_app_id', 'service_account_object_id', 'service_account_upn', 'committed_at'])
        .where('partner_id', '=', partnerId)
        .executeTakeFirst();
      if (!row?.committed_at || !row.tenant_id || !row.entra_app_id) return undefined;
      return { tenantId: row.tenant_id, entraAppId: row.entra_app_id, serviceAccountObjectId: row.service_account_object_id, upn: row.service_account_upn };
    },

    /** Partners whose tenant is live: the daily re-sync keeps their data fresh and their sign-in alive. */
    async activePartnerIds(db: DbOrTx): Promise<string[]> {
      const rows = await db.selectFrom('partners').select('id').where('state', '=', 'active').execute();
      return rows.map((r) => r.id);
    },
  };
}

export type SyncPartners = ReturnType<typeof createSyncPartners>;
