import { GraphError } from '../microsoft/graph.client.ts';
import type { MicrosoftHttp } from '../microsoft/microsoft.http.ts';
import type { AppDirectory } from './connect.wizard.ts';

/** App registrations by appId through Graph, including whether an app is a public (native) client. */
export function graphAppDirectory(deps: { graphUrl: string; http: MicrosoftHttp }): AppDirectory {
  return {
    async application(token, appId) {
      const url = `${deps.graphUrl}/applications(appId='${encodeURIComponent(appId)}')?$select=appId,displayName,isFallbackPublicClient,publicClient`;
      const response = await deps.http.requestJson<{ appId: string; displayName?: string; isFallbackPublicClient?: boolean | null; publicClient?: { redirectUris?: string[] } ; error?: { code?: string; message?: string } }>(url, { method: 'GET', token });
      if (response.status === 404) return undefined;
      if (response.status >= 400) throw new GraphError(response.status, response.body?.error?.code ?? 'Unknown', response.body?.error?.message ?? '', 'Looking up the app in your directory');
      const body = response.body;
      return {
        appId: body.appId,
        ...(body.displayName ? { displayName: body.displayName } : {}),
        isPublicClient: body.isFallbackPublicClient === true,
      };
    },
  };
}
