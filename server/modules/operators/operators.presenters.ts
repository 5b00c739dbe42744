import type { Operator, PartnerState } from '../../db/schema.ts';
import type { ActivityItem, OperatorView } from '../../../contracts/operators.ts';
import { linkStatus } from '../signup/signup.fns.ts';
import { credentialLabel } from '../microsoft/microsoft.credentials.ts';
import type { MaskedCredential } from '../vault/vault.service.ts';
import { scrubRecord } from './operators.fns.ts';
import type { ConsoleReadModel } from './operators.readmodel.ts';

// Presenters: every console response is assembled here field by field from rows that were
// themselves selected column by column. Nothing is spread from a row, so a column added later
// (a hash, a sealed value) cannot reach a response by accident.

type Rows<K extends keyof ConsoleReadModel> = Awaited<ReturnType<ConsoleReadModel[K]>>;
type Row<K extends keyof ConsoleReadModel> = Rows<K> extends Array<infer T> ? T : never;

const iso = (value: Date | string) => new Date(value).toISOString();
const isoOrNull = (value: Date | string | null | undefined) => (value ? new Date(value).toISOString() : null);
const parse = <T>(value: unknown): T => (typeof value === 'string' ? (JSON.parse(value) as T) : (value as T));

/** `locked_until` comes from the sign-in lockout (see `auth.list`); absent means not known to be locked. */
export function toOperatorView(row: Operator & { locked_until?: Date | string | null }, now: Date): OperatorView {
  const locked = row.locked_until && new Date(row.locked_until).getTime() > now.getTime() ? iso(row.locked_until) : null;
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    status: row.status,
    totpEnrolled: row.totp_enrolled_at !== null,
    lockedUntil: locked,
    lastSignInAt: isoOrNull(row.last_sign_in_at),
    createdAt: iso(row.created_at),
  };
}

export function toPartnerSummary(row: Rows<'listPartners'>['items'][number]) {
  return {
    id: row.id,
    reference: row.reference,
    companyName: row.legal_name,
    state: row.state,
    country: row.country,
    entraDomain: row.entra_domain,
    mpnId: row.mpn_id,
    primaryContact: { name: `${row.first_name} ${row.last_name}`, email: row.email },
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export function toActivityItem(row: Row<'auditEvents'>, operatorEmails: Map<string, string>): ActivityItem {
  return {
    id: Number(row.id),
    occurredAt: iso(row.occurred_at),
    actorType: row.actor_type,
    actor: actorLabel(row.actor_type, row.actor_id, operatorEmails),
    partner: row.partner_id && row.reference && row.legal_name ? { id: row.partner_id, reference: row.reference, companyName: row.legal_name } : null,
    action: row.action,
    details: scrubRecord(parse(row.details)),
  };
}

function actorLabel(type: string, id: string | null, operatorEmails: Map<string, string>): string | null {
  if (!id) return null;
  if (type === 'operator' || type === 'system' || type === 'anonymous') return operatorEmails.get(id) ?? (type === 'system' ? id : null);
  return null;
}

export function toLinkView(row: Row<'links'>, now: Date) {
  return {
    id: row.id,
    purpose: row.purpose,
    status: linkStatus(row, now),
    issuedBy: row.issued_by,
    createdAt: iso(row.created_at),
    expiresAt: iso(row.expires_at),
    claimedAt: isoOrNull(row.claimed_at),
    spentAt: isoOrNull(row.spent_at),
    revokedAt: isoOrNull(row.revoked_at),
    revokedReason: row.revoked_reason,
  };
}

export function toEmailView(row: Row<'emails'>) {
  return {
    id: row.id,
    template: row.template,
    to: row.to_address,
    status: row.status,
    attempts: row.attempts,
    createdAt: iso(row.created_at),
    sentAt: isoOrNull(row.sent_at),
    lastError: row.last_error ? row.last_error.slice(0, 300) : null,
  };
}

export function toPreflightView(row: Row<'preflightRuns'>) {
  const checks = parse<Array<{ id: string; title: string; status: string; required: boolean; found: string; fix?: string }>>(row.checks) ?? [];
  return {
    id: row.id,
    triggeredBy: row.triggered_by,
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    allRequiredPassed: row.all_required_passed,
    checks: checks.map((c) => ({ id: String(c.id), title: String(c.title), status: String(c.status), required: Boolean(c.required), found: String(c.found ?? ''), fix: c.fix ? String(c.fix) : null })),
  };
}

export function toSyncRunView(row: Row<'syncRuns'>) {
  const error = row.error ? parse<{ code?: string; message?: string }>(row.error) : null;
  return {
    id: row.id,
    reason: row.reason,
    status: row.status,
    startedAt: iso(row.started_at),
    finishedAt: isoOrNull(row.finished_at),
    pages: Number(row.pages),
    customersSeen: Number(row.customers_seen),
    totalCount: row.total_count === null ? null : Number(row.total_count),
    error: error ? { code: String(error.code ?? 'UNKNOWN'), message: String(error.message ?? '') } : null,
  };
}

/** The only view of a credential an operator gets: which one, its masked hint, when it expires. */
export function toCredentialView(credential: MaskedCredential) {
  return { field: credential.field, label: credentialLabel(credential.field), hint: credential.hint, expiresAt: isoOrNull(credential.expiresAt) };
}

export function toConnectionView(row: Rows<'connection'>) {
  if (!row) return null;
  const error = row.sign_in_error ? parse<{ code?: string; message?: string }>(row.sign_in_error) : null;
  return {
    tenantId: row.tenant_id,
    entraAppId: row.entra_app_id,
    partnerCenterWebAppId: row.partner_center_web_app_id,
    partnerCenterNativeAppId: row.partner_center_native_app_id,
    serviceAccountUpn: row.service_account_upn,
    mfaPerformed: row.mfa_performed,
    signedInAt: isoOrNull(row.signed_in_at),
    committedAt: isoOrNull(row.committed_at),
    signInError: error ? { code: String(error.code ?? 'UNKNOWN'), message: String(error.message ?? '') } : null,
  };
}

export function toSupportItem(row: NonNullable<Awaited<ReturnType<ConsoleReadModel['supportRequest']>>>) {
  return {
    id: row.id,
    reference: row.reference,
    name: row.name,
    email: row.email,
    message: row.message,
    signupReference: row.signup_reference,
    status: row.status,
    createdAt: iso(row.created_at),
    partner: row.partner_id && row.partner_reference && row.partner_name && row.partner_state ? { id: row.partner_id, reference: row.partner_reference, companyName: row.partner_name, state: row.partner_state as PartnerState } : null,
  };
}
