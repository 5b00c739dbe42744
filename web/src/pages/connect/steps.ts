// The connection wizard (Step 3 of the partner journey), in order. Later work adds a panel per
// step; the step list and the page frame stay as they are.

export type ConnectStepId = 'link' | 'terms' | 'entra-app' | 'partner-center-app' | 'microsoft-sign-in' | 'checks';

export interface ConnectStep {
  id: ConnectStepId;
  title: string;
  summary: string;
}

export const connectSteps: readonly ConnectStep[] = [
  { id: 'link', title: 'Signup link', summary: 'Bound to this browser.' },
  { id: 'terms', title: 'Terms of Use', summary: 'Accept the platform’s Terms of Use and Privacy Policy.' },
  { id: 'entra-app', title: 'Entra app', summary: 'The Application (client) ID and client secret of your app registration.' },
  { id: 'partner-center-app', title: 'Partner Center app', summary: 'The web app ID, its secret and expiry, and the native app ID.' },
  { id: 'microsoft-sign-in', title: 'Microsoft sign-in', summary: 'Sign in with the service account and grant access.' },
  { id: 'checks', title: 'Checks', summary: 'We check the connection and start importing your customers.' },
];

/** Which step the partner is on, from the signup's state on the server. */
export function currentStepFor(state: string): ConnectStepId {
  switch (state) {
    case 'connected':
    case 'syncing':
    case 'active':
    case 'sync_failed':
      return 'checks';
    default:
      return 'terms';
  }
}
