import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

// Table types for Kysely. Keep in step with migrations/.

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Json<T = Record<string, unknown>> = ColumnType<T, string, string>;

export { partnerStates, type PartnerState } from '../../contracts/partner-states.ts';
import type { PartnerState } from '../../contracts/partner-states.ts';

export interface PartnersTable {
  id: Generated<string>;
  reference: string;
  state: PartnerState;
  legal_name: string;
  country: string;
  street: string;
  postal_code: string;
  city: string;
  tax_id: string;
  website: string | null;
  mpn_id: string;
  entra_domain: string;
  email_verified_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface ContactsTable {
  id: Generated<string>;
  partner_id: string;
  role: 'primary' | 'secondary';
  first_name: string;
  last_name: string;
  job_title: string;
  email: string;
  phone: string;
  created_at: CreatedAt;
}

/** What a one-time link is for (one usable link per partner and purpose). */
export type TokenPurpose = 'email_verification' | 'signup_link' | 'credential_update';

export interface OneTimeTokensTable {
  id: Generated<string>;
  partner_id: string;
  purpose: TokenPurpose;
  token_hash: string;
  expires_at: Timestamp;
  issued_by: string;
  created_at: CreatedAt;
  claimed_at: Timestamp | null;
  claimed_session_hash: string | null;
  /** The claiming browser's session: last used (idle lifetime) and ended by signing out. */
  session_seen_at: Timestamp | null;
  session_ended_at: Timestamp | null;
  spent_at: Timestamp | null;
  revoked_at: Timestamp | null;
  revoked_reason: string | null;
}

export interface OutboxTable {
  id: Generated<string>;
  idempotency_key: string;
  partner_id: string | null;
  template: string;
  to_address: string;
  cc_addresses: Json<string[]>;
  params: Json;
  sealed_secrets: string | null;
  status: 'pending' | 'sending' | 'sent' | 'failed';
  attempts: Generated<number>;
  last_error: string | null;
  message_id: string;
  created_at: CreatedAt;
  sent_at: Timestamp | null;
  /** The pg-boss job that should send it now (the sweeper queues a new one when it is gone). */
  job_id: string | null;
  /** Not before: the sweeper's backoff after failed attempts. */
  next_attempt_at: Timestamp | null;
  /** Set with status 'sending', before the SMTP call. */
  sending_since: Timestamp | null;
  /** The mail server's answer to the accepted message. */
  smtp_response: string | null;
  failed_at: Timestamp | null;
}

/** The vault key ring the credentials are sealed under: one row (server/modules/vault). */
export interface VaultKeyRingTable {
  singleton: Generated<boolean>;
  ring_id: string;
  provider: 'local' | 'azure';
  key_version: string;
  wrapped_check: Buffer;
  check_digest: Buffer;
  created_at: Timestamp;
  verified_at: Timestamp | null;
}

/** The app keyring: version 0 is the lookup root, 1.. sealing keys (server/modules/vault/vault.appkeys.ts). */
export interface AppKeysTable {
  version: number;
  kind: 'lookup' | 'seal';
  /** Wrapped by the vault key; null once retired. */
  wrapped_key: Buffer | null;
  vault_key_version: string | null;
  active: Generated<boolean>;
  created_at: Timestamp;
  rotated_at: Timestamp | null;
  retired_at: Timestamp | null;
}

/** A partner credential stored before its vault root exists, sealed under the app keyring (vault module). */
export interface PendingCredentialsTable {
  partner_id: string;
  field: string;
  sealed: string;
  created_at: Timestamp;
}

export interface AuditEventsTable {
  id: Generated<number>;
  occurred_at: Timestamp;
  actor_type: 'partner' | 'operator' | 'system' | 'anonymous';
  actor_id: string | null;
  partner_id: string | null;
  action: string;
  details: Json;
  ip: string | null;
}

export interface RateLimitsTable {
  key: string;
  window_start: Timestamp;
  hits: number;
}

export interface SupportRequestsTable {
  id: Generated<string>;
  reference: string;
  partner_id: string | null;
  name: string;
  email: string;
  message: string;
  signup_reference: string | null;
  status: 'open' | 'handled';
  ip: string | null;
  created_at: CreatedAt;
}

export interface TermsAcceptancesTable {
  id: Generated<number>;
  partner_id: string;
  contact_id: string;
  document: 'terms_of_use' | 'privacy_policy';
  version: string;
  sha256: string;
  accepted_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
}

/** Encrypted partner credentials: read and written by server/modules/vault only. */
export interface CredentialsTable {
  id: Generated<string>;
  partner_id: string;
  field: string;
  version: number;
  ciphertext: Buffer;
  iv: Buffer;
  auth_tag: Buffer;
  wrapped_key: Buffer;
  wrapping: 'vault' | 'partner';
  vault_key_version: string | null;
  hint: string | null;
  expires_at: Timestamp | null;
  created_at: CreatedAt;
  rotated_at: Timestamp | null;
}

export interface MicrosoftConnectionsTable {
  partner_id: string;
  tenant_input: string | null;
  tenant_id: string | null;
  entra_app_id: string | null;
  entra_secret_hint: string | null;
  entra_validated_at: Timestamp | null;
  pending_entra_secret: string | null;
  partner_center_web_app_id: string | null;
  partner_center_native_app_id: string | null;
  partner_center_secret_hint: string | null;
  partner_center_secret_expires_on: ColumnType<string | null, string | null, string | null>;
  partner_center_validated_at: Timestamp | null;
  service_account_object_id: string | null;
  service_account_upn: string | null;
  mfa_performed: boolean | null;
  signed_in_at: Timestamp | null;
  /** When the sign-in whose answer the connection shows was started (the latest sign-in decides). */
  sign_in_started_at: Timestamp | null;
  sign_in_error: Json<{ code: string; message: string }> | null;
  graph_delegated: boolean | null;
  last_preflight_run_id: string | null;
  committed_at: Timestamp | null;
  /** The partner was offboarded: the tenant is free for another partner (one live partner per tenant, migration 0047). */
  tenant_released_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface OAuthSignInsTable {
  state_hash: string;
  partner_id: string;
  session_hash: string;
  tenant_id: string;
  sealed_checks: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  consumed_at: Timestamp | null;
  /** Insertion order: breaks ties between sign-ins started at the same instant. */
  seq: Generated<string>;
}

export interface PreflightRunsTable {
  id: Generated<string>;
  partner_id: string;
  triggered_by: string;
  started_at: Timestamp;
  finished_at: Timestamp;
  checks: Json<unknown[]>;
  all_required_passed: boolean;
}

/** One run of "Set up Microsoft for me" (server/modules/connect/connect.setup*.ts), written while it runs. */
export interface MicrosoftSetupRunsTable {
  id: Generated<string>;
  /** Order of the runs (the business clock may show two at the same instant). */
  seq: Generated<number>;
  partner_id: string;
  status: 'running' | 'completed' | 'refused' | 'interrupted';
  actions: ColumnType<unknown[], string | undefined, string>;
  refusal: ColumnType<{ message: string; fix: string } | null, string | null | undefined, string | null>;
  app_id: string | null;
  started_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface PartnerAttentionTable {
  id: Generated<string>;
  partner_id: string;
  origin: 'sync' | 'secret_expiry' | 'drift';
  code: string;
  source: 'entra_app' | 'partner_center_app' | 'service_account' | null;
  message: string;
  fix: string;
  /** What the partner does in TotalOne once the fix is made in Microsoft (the classifier's `then`). */
  after_fix: string;
  opened_at: Timestamp;
  last_checked_at: Timestamp;
  primary_notified_at: Timestamp | null;
  secondary_due_at: Timestamp;
  secondary_notified_at: Timestamp | null;
  resolved_at: Timestamp | null;
  resolved_by: string | null;
}
export type PartnerAttention = Selectable<PartnerAttentionTable>;

export type TrackedSecret = 'entra_client_secret' | 'partner_center_web_app_secret';
export interface PartnerSecretsTable {
  partner_id: string;
  credential: TrackedSecret;
  app_id: string;
  key_id: string | null;
  /** null: the secret does not expire, or its end is unknown. */
  ends_at: Timestamp | null;
  source: 'graph' | 'typed';
  checked_at: Timestamp;
}
export type PartnerSecret = Selectable<PartnerSecretsTable>;

export interface OffboardingRequestsTable {
  id: Generated<string>;
  partner_id: string;
  token_hash: string;
  requested_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
  spent_at: Timestamp | null;
}

export interface Database {
  offboarding_requests: OffboardingRequestsTable;
  partner_secrets: PartnerSecretsTable;
  partner_attention: PartnerAttentionTable;
  partners: PartnersTable;
  contacts: ContactsTable;
  one_time_tokens: OneTimeTokensTable;
  outbox: OutboxTable;
  vault_key_ring: VaultKeyRingTable;
  app_keys: AppKeysTable;
  pending_credentials: PendingCredentialsTable;
  audit_events: AuditEventsTable;
  rate_limits: RateLimitsTable;
  support_requests: SupportRequestsTable;
  terms_acceptances: TermsAcceptancesTable;
  microsoft_connections: MicrosoftConnectionsTable;
  oauth_sign_ins: OAuthSignInsTable;
  preflight_runs: PreflightRunsTable;
  microsoft_setup_runs: MicrosoftSetupRunsTable;
  credentials: CredentialsTable;
  customers: CustomersTable;
  gdap_reads: GdapReadsTable;
  sync_runs: SyncRunsTable;
  operators: OperatorsTable;
  operator_sessions: OperatorSessionsTable;
  operator_invites: OperatorInvitesTable;
  support_replies: SupportRepliesTable;
  sign_in_lockouts: SignInLockoutsTable;
}

export type Partner = Selectable<PartnersTable>;
export type NewPartner = Insertable<PartnersTable>;
export type PartnerUpdate = Updateable<PartnersTable>;
export type Contact = Selectable<ContactsTable>;
export type OneTimeToken = Selectable<OneTimeTokensTable>;
export type OutboxMessage = Selectable<OutboxTable>;
export type SupportRequest = Selectable<SupportRequestsTable>;
export type CredentialRow = Selectable<CredentialsTable>;

/** A nullable column that inserts may leave out. */
type GdapColumn<T, W = T> = ColumnType<T | null, W | null | undefined, W | null>;

/** A partner's customer as last read from Partner Center (written by server/modules/sync only). */
export interface CustomersTable {
  partner_id: string;
  /** Partner Center's customer id. */
  customer_id: string;
  tenant_id: string | null;
  domain: string;
  company_name: string;
  relationship: string | null;
  attributes: Json;
  first_seen_at: Timestamp;
  last_seen_at: Timestamp;
  last_seen_run_id: string;
  removed_at: Timestamp | null;
  /** GDAP as the last sync read it (null: never read); see migration 0045. Written by the sync only. */
  gdap_status: GdapColumn<'active' | 'expiring' | 'expired' | 'none' | 'unknown'>;
  gdap_end_at: GdapColumn<Date, Date | string>;
  gdap_auto_extend: GdapColumn<boolean>;
  gdap_roles: GdapColumn<string[], string>;
  gdap_global_admin: GdapColumn<boolean>;
  gdap_read_only: GdapColumn<boolean>;
  gdap_group_assigned: GdapColumn<boolean>;
  gdap_relationship: GdapColumn<string>;
  /** Why TotalOne cannot manage the customer yet; null when it can (or never read). */
  gdap_blocker: GdapColumn<'unknown' | 'no_relationship' | 'expired' | 'read_only' | 'no_global_admin' | 'no_group_assignment'>;
  gdap_checked_at: GdapColumn<Date, Date | string>;
}

/** How the last read of a partner's GDAP relationships went (written by server/modules/sync only). */
export interface GdapReadsTable {
  partner_id: string;
  outcome: 'read' | 'permission_missing' | 'failed';
  relationships: Generated<number>;
  problem: string | null;
  fix: string | null;
  code: string | null;
  read_at: Timestamp;
}

export type SyncRunStatus = 'running' | 'completed' | 'failed';

export interface SyncRunsTable {
  id: Generated<string>;
  seq: Generated<number>;
  partner_id: string;
  reason: string;
  status: SyncRunStatus;
  correlation_id: string;
  job_id: string | null;
  active_job_id: string | null;
  continuation_token: string | null;
  pages: Generated<number>;
  customers_seen: Generated<number>;
  estimated_total: number | null;
  total_count: number | null;
  requests: Generated<number>;
  throttled_count: Generated<number>;
  started_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
  error: Json<{ code: string; message: string; retrying: boolean; at: string }> | null;
}

export type Customer = Selectable<CustomersTable>;
export type SyncRun = Selectable<SyncRunsTable>;

export interface OperatorsTable {
  id: Generated<string>;
  email: string;
  role: 'support' | 'admin';
  status: 'invited' | 'active' | 'disabled';
  /** argon2id (PHC string). */
  password_hash: string | null;
  /** Sealed with AES-256-GCM (lib/crypto seal), bound to the operator id. */
  totp_secret: string | null;
  totp_enrolled_at: Timestamp | null;
  totp_last_step: number | null;
  last_sign_in_at: Timestamp | null;
  created_by: string;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface OperatorSessionsTable {
  /** HMAC of the cookie value. */
  id: string;
  operator_id: string;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
  revoked_reason: string | null;
  ip: string | null;
  user_agent: string | null;
}

export interface OperatorInvitesTable {
  id: Generated<string>;
  operator_id: string;
  token_hash: string;
  created_by: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface SupportRepliesTable {
  id: Generated<string>;
  support_request_id: string;
  operator_id: string | null;
  message: string;
  outbox_id: string | null;
  created_at: Timestamp;
}

export type Operator = Selectable<OperatorsTable>;
export type OperatorSession = Selectable<OperatorSessionsTable>;
export type OperatorInvite = Selectable<OperatorInvitesTable>;

/** Console sign-in failures per typed email (HMAC), known operator or not. */
export interface SignInLockoutsTable {
  subject: string;
  failures: number;
  locked_until: Timestamp | null;
  updated_at: Timestamp;
}
