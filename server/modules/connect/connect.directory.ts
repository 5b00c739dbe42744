import type { GraphClient } from '../microsoft/graph.client.ts';
import type { AppDirectory } from './connect.wizard.ts';

/** App registrations by appId through Graph, including whether an app is a public (native) client. */
export function graphAppDirectory(graph: Pick<GraphClient, 'application' | 'organization'>): AppDirectory {
  return {
    async verifiedDomains(token) {
      const organization = await graph.organization(token);
      return (organization?.verifiedDomains ?? []).map((d) => d.name.toLowerCase());
    },
    async application(token, appId) {
      const app = await graph.application(token, appId);
      if (!app) return undefined;
      return {
        appId: app.appId,
        ...(app.displayName ? { displayName: app.displayName } : {}),
        isPublicClient: app.isFallbackPublicClient === true,
        // Graph shows each secret's first three characters and its end: enough to find the one typed.
        secrets: (app.passwordCredentials ?? []).map((c) => ({ hint: c.hint, endDateTime: c.endDateTime })),
      };
    },
  };
}
