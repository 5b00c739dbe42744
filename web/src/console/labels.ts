import type { PartnerAction } from './consoleApi.ts';

// Display names for the codes the console API uses. Unknown codes show as they are.

import { partnerStates, type PartnerState } from '../../../contracts/partner-states.ts';

export { partnerStates };
export type PartnerStateName = PartnerState;

export const stateLabels: Record<PartnerStateName, string> = {
  registered: 'Registered',
  email_verified: 'Email verified',
  link_sent: 'Link sent',
  connecting: 'Connecting',
  connected: 'Connected',
  syncing: 'Syncing',
  active: 'Active',
  link_expired: 'Link expired',
  sync_failed: 'Sync failed',
  needs_attention: 'Needs attention',
  suspended: 'Suspended',
  offboarded: 'Offboarded',
};

export const stateLabel = (state: string) => stateLabels[state as PartnerStateName] ?? state;

/** How a state is coloured: done, in progress, needs attention, stopped. */
export function stateTone(state: string): 'good' | 'progress' | 'attention' | 'stopped' {
  if (state === 'active' || state === 'connected') return 'good';
  if (state === 'link_expired' || state === 'sync_failed' || state === 'needs_attention') return 'attention';
  if (state === 'suspended' || state === 'offboarded') return 'stopped';
  return 'progress';
}

export const actionLabels: Record<PartnerAction, { title: string; button: string; explain: string }> = {
  resend_verification: {
    title: 'Re-send the confirmation email',
    button: 'Resend verification',
    explain: 'A new confirmation email goes to the primary contact. It counts against the address’s hourly limit like the public form.',
  },
  issue_signup_link: {
    title: 'Issue a new signup link',
    button: 'Issue new signup link',
    explain: 'A new one-time signup link is emailed to the primary contact. Every earlier signup link stops working at once.',
  },
  rerun_preflight: {
    title: 'Run the preflight checks again',
    button: 'Re-run preflight',
    explain: 'The checks against Microsoft run again with the stored connection; the results appear in the timeline.',
  },
  restart_sync: {
    title: 'Restart the customer import',
    button: 'Restart sync',
    explain: 'A run in progress ends, and a new run reading every customer again is queued. Earlier runs stay in the history.',
  },
  stop_sync: {
    title: 'Stop the customer import',
    button: 'Stop sync',
    explain: 'The run in progress ends at its next page and imports waiting to start are cancelled. Customers read so far stay; restart the import from here when it should continue.',
  },
  recheck_attention: {
    title: 'Re-run the failing check',
    button: 'Re-run check',
    explain: 'The check that found the problem runs again with the stored credentials (as the partner’s "Check again"). When it passes, the finding closes and the customer import resumes; no new signup is needed.',
  },
  offboard: {
    title: 'Offboard this partner',
    button: 'Offboard',
    explain: 'Final: syncs stop, every stored credential of the partner is destroyed at once (it cannot be undone), its links and sessions stop working, both contacts get a confirmation, and its customers and contacts are deleted after the retention period. The audit trail stays.',
  },
  suspend: {
    title: 'Suspend this signup',
    button: 'Suspend',
    explain: 'The signup stops: its open links stop working and the partner cannot continue until it is reinstated.',
  },
};

const auditActionLabels: Record<string, string> = {
  'signup.submitted': 'Signed up',
  'signup.repeated': 'Signed up again (same details)',
  'signup.duplicate_tenant': 'Signup refused: tenant already registered',
  'verification_link.issued': 'Confirmation email link issued',
  'verification_link.resend_ignored': 'Confirmation resend ignored',
  'email.verified': 'Email verified',
  'signup_link.expired': 'Signup link expired',
  'signup_link.request_ignored': 'Signup link request ignored',
  'connect.signed_in': 'Signed in with Microsoft',
  'connect.sign_in_refused': 'Microsoft sign-in refused',
  'connect.entra_app_validated': 'Entra app checked',
  'connect.partner_center_app_validated': 'Partner Center app checked',
  'connect.committed': 'Connection saved',
  'connect.tenant_refused': 'Tenant refused: another live partner holds it',
  'preflight.ran': 'Preflight checks ran',
  'sync.started': 'Customer sync started',
  'sync.completed': 'Customer sync completed',
  'sync.restarted_from_first_page': 'Customer sync read the list again from the start',
  'sync.failed': 'Customer sync failed',
  'support_request.created': 'Support request received',
  'signup_link.issued': 'Signup link issued',
  'reconnect_link.requested': 'Reconnect link requested on the status page',
  'signup_link.claimed': 'Signup link claimed',
  'signup_link.spent': 'Signup link spent',
  'signup_link.revoked': 'Signup link revoked',
  'terms.accepted': 'Terms accepted',
  'operator.created': 'Operator created',
  'operator.invite_sent': 'Operator invitation sent',
  'operator.password_set': 'Operator password set',
  'operator.totp_enrolment_started': 'Authenticator enrolment started',
  'operator.activated': 'Operator activated',
  'operator.signed_in': 'Operator signed in',
  'operator.sign_in_failed': 'Failed operator sign-in',
  'operator.sign_in_refused_locked': 'Sign-in refused (locked)',
  'operator.locked': 'Operator account locked',
  'operator.session_expired': 'Operator session expired',
  'operator.signed_out': 'Operator signed out',
  'operator.signed_out_everywhere': 'Operator signed out everywhere',
  'operator.role_changed': 'Operator role changed',
  'operator.disabled': 'Operator disabled',
  'console.verification_resent': 'Verification re-sent by an operator',
  'console.signup_link_issued': 'New signup link issued by an operator',
  'console.preflight_rerun': 'Preflight re-run by an operator',
  'console.sync_restarted': 'Sync restarted by an operator',
  'console.sync_stopped': 'Sync stopped by an operator',
  'console.partner_suspended': 'Signup suspended by an operator',
  'console.attention_rechecked': 'Failing check re-run by an operator',
  'partner.state_changed': 'State changed',
  'attention.opened': 'Finding opened: the partner must fix something in Microsoft',
  'attention.primary_notified': 'Finding emailed to the primary contact',
  'attention.secondary_notified': 'Finding emailed to the secondary contact (not fixed after 3 days)',
  'attention.escalation_skipped': 'Finding not escalated: no secondary contact',
  'attention.checked': 'Finding checked again: not fixed yet',
  'attention.resolved': 'Finding fixed',
  'secret_expiry.reminded': 'Secret expiry reminder sent',
  'partner.offboarded': 'Offboarded: credentials destroyed, links and sessions stopped',
  'partner.purged': 'Customers deleted and contacts erased (retention period over)',
  'console.partner_offboarded': 'Partner offboarded by an operator',
  'console.support_replied': 'Support request answered',
  'console.support_handled': 'Support request marked handled',
  'console.support_reopened': 'Support request reopened',
};

/** "Signup link issued" for `signup_link.issued`; otherwise the code made readable. */
export function auditActionLabel(action: string): string {
  const known = auditActionLabels[action];
  if (known) return known;
  const text = action.replace(/[._]/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export const templateLabel = (template: string) => {
  const text = template.replace(/[._-]/g, ' ').trim();
  const named = `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
  return /\bemail$/i.test(named) ? named : `${named} email`;
};

/** `issuedBy` → "issued by", `link_id` → "link ID": a details key as words. */
export function keyLabel(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase()
    .replace(/\bid\b/g, 'ID')
    .replace(/\bip\b/g, 'IP')
    .replace(/\bmpn\b/g, 'MPN');
}
