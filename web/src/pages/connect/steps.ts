import type { ConnectState } from '../../api.ts';

// The connection wizard (Step 3 of the partner journey), in order. The server decides which step
// the partner is on (GET /api/connect/state, `step`); the page shows that step's panel, or an
// earlier one the partner chose to change.

export type ServerStep = ConnectState['step'];
export type ConnectStepId = 'link' | ServerStep;

export interface ConnectStep {
  id: ConnectStepId;
  /** The guide's numbering: Step 3 of the guide is 3.1 to 3.5; the link and the end carry none. */
  number?: string;
  title: string;
  summary: string;
}

export const connectSteps: readonly ConnectStep[] = [
  { id: 'link', title: 'Signup link', summary: 'Bound to this browser.' },
  { id: 'terms', number: '3.1', title: 'Terms of Use', summary: 'Accept the platform’s Terms of Use and Privacy Policy.' },
  { id: 'entra_app', number: '3.2', title: 'Entra app', summary: 'Your tenant, and the client ID and secret of your app registration.' },
  { id: 'partner_center_app', number: '3.3', title: 'Partner Center app', summary: 'The web app ID, its secret and expiry, and the native app ID.' },
  { id: 'sign_in', number: '3.4', title: 'Microsoft sign-in', summary: 'Sign in with the service account and grant access.' },
  { id: 'preflight', number: '3.5', title: 'Checks', summary: 'We check every setting, then you complete the connection.' },
  { id: 'done', title: 'Connected', summary: 'Your customers are imported.' },
];

/** "Step 3.2 of the guide's Step 3 (3.1 to 3.5)", as the panel's eyebrow says it; none for the link and the end. */
export function stepNumberLabel(id: ConnectStepId): string | undefined {
  const step = connectSteps.find((candidate) => candidate.id === id);
  return step?.number ? `Step ${step.number} of ${connectSteps.filter((s) => s.number).at(-1)!.number}` : undefined;
}

/** Steps the partner may reopen to change what was accepted. */
export type EditableStep = 'entra_app' | 'partner_center_app';

/** What the page shows: the server's step, or an earlier one being changed. */
export function displayedStep(state: Pick<ConnectState, 'step'>, editing: EditableStep | undefined): ConnectStepId {
  if (!editing || state.step === 'done' || state.step === 'terms') return state.step;
  // Only a step already passed can be reopened.
  const order = connectSteps.map((step) => step.id);
  return order.indexOf(editing) < order.indexOf(state.step) ? editing : state.step;
}
