import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_foundation.ts';
import * as m0002 from './0002_credentials.ts';
import * as m0003 from './0003_terms_acceptances.ts';
import * as m0004 from './0004_microsoft_connections.ts';
import * as m0005 from './0005_sync.ts';
import * as m0006 from './0006_operators.ts';
import * as m0010 from './0010_partner_states.ts';
import * as m0011 from './0011_partner_attention.ts';
import * as m0012 from './0012_partner_secrets.ts';
import * as m0013 from './0013_drift_findings.ts';
import * as m0014 from './0014_offboarded_state.ts';
import * as m0015 from './0015_offboarding_requests.ts';
import * as m0020 from './0020_outbox_delivery.ts';
import * as m0021 from './0021_vault_key_ring.ts';
import * as m0022 from './0022_sign_in_decided_by.ts';
import * as m0030 from './0030_sign_in_lockouts.ts';
import * as m0031 from './0031_one_usable_link.ts';
import * as m0032 from './0032_partner_session_lifetimes.ts';
import * as m0045 from './0045_customer_gdap.ts';
import * as m0046 from './0046_microsoft_setup_runs.ts';
import * as m0047 from './0047_one_partner_per_tenant.ts';
import * as m0050 from './0050_credential_update_links.ts';
import * as m0051 from './0051_app_keyring.ts';
import * as m0052 from './0052_sign_in_order.ts';

// Listed by hand (not read from the folder) so bundling and tests see exactly the same set.
const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_credentials': m0002,
  '0003_terms_acceptances': m0003,
  '0004_microsoft_connections': m0004,
  '0005_sync': m0005,
  '0006_operators': m0006,
  '0010_partner_states': m0010,
  '0011_partner_attention': m0011,
  '0012_partner_secrets': m0012,
  '0013_drift_findings': m0013,
  '0014_offboarded_state': m0014,
  '0015_offboarding_requests': m0015,
  '0020_outbox_delivery': m0020,
  '0021_vault_key_ring': m0021,
  '0022_sign_in_decided_by': m0022,
  '0030_sign_in_lockouts': m0030,
  '0031_one_usable_link': m0031,
  '0032_partner_session_lifetimes': m0032,
  '0045_customer_gdap': m0045,
  '0046_microsoft_setup_runs': m0046,
  '0047_one_partner_per_tenant': m0047,
  '0050_credential_update_links': m0050,
  '0051_app_keyring': m0051,
  '0052_sign_in_order': m0052,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
