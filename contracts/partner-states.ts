// The states of a partner, in one place: the database check constraint, the API schemas
// (contracts/operators.ts, contracts/sync.ts), the server's transition table
// (server/modules/partners/partners.transitions.ts) and the console's labels all read this list.
// No zod here: the web app imports it at run time without pulling the schema library in.

export const partnerStates = [
  'registered',
  'email_verified',
  'link_sent',
  'connecting',
  'connected',
  'syncing',
  'active',
  'link_expired',
  'sync_failed',
  'needs_attention',
  'suspended',
  'offboarded',
] as const;

export type PartnerState = (typeof partnerStates)[number];

export function isPartnerState(value: string): value is PartnerState {
  return (partnerStates as readonly string[]).includes(value);
}
