import type { AcceptedBody } from '../../../../contracts/common.ts';
import type { CredentialUpdateForm, CredentialUpdateState, credentialLinkSentSchema, credentialLinkViewSchema } from '../../../../contracts/credentials.ts';
import type { z } from 'zod';
import { apiGet, apiPost } from '../../api.ts';

// The credential update (server/modules/partners/partners.rotation.routes.ts).

export type CredentialLinkView = z.infer<typeof credentialLinkViewSchema>;
export type CredentialLinkSent = z.infer<typeof credentialLinkSentSchema>;
export type { CredentialUpdateForm, CredentialUpdateState };

const state = ['companyName', 'reference', 'partnerCenterApp', 'entraApp', 'done'] as const;

export const credentialsApi = {
  /** The status page: the one-time link goes to the primary contact. */
  requestFromStatus: () => apiPost<CredentialLinkSent>('/api/status/credential-update-link', {}, ['sentTo', 'expiresAt']),
  /** Anonymous: the same answer whatever the address. */
  requestByEmail: (email: string) => apiPost<AcceptedBody>('/api/credential-update-requests', { email }, ['status', 'message']),
  inspect: (token: string) => apiPost<CredentialLinkView>('/api/credential-update-links/inspect', { token }, ['companyName', 'reference', 'expiresAt', 'status']),
  claim: (token: string) => apiPost<CredentialUpdateState>('/api/credential-update-links/claim', { token }, state),
  state: () => apiGet<CredentialUpdateState>('/api/credential-update', state),
  update: (data: CredentialUpdateForm) => apiPost<CredentialUpdateState>('/api/credential-update', data, state),
};
