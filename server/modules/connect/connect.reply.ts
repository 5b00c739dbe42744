import { AppError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { GraphError, type GraphClient } from '../microsoft/graph.client.ts';
import type { MicrosoftCredentials } from '../microsoft/microsoft.credentials.ts';
import { MicrosoftIdentityError } from '../microsoft/microsoft.errors.ts';
import { findReplyAddress, replyAddressFix } from './connect.reply.fns.ts';

// Before the browser goes to Microsoft: is the reply address registered on the Partner Center web
// app? Read through Graph with the Entra app's app-only token (its Directory.ReadWrite.All covers
// reading app registrations). A known gap is refused with the fix at the reply address; when the
// answer cannot be had (Graph refused or is down), the sign-in goes ahead: the check is a help, and
// the wizard explains an unfinished sign-in afterwards.

export class ReplyAddressNotRegisteredError extends AppError {
  constructor(fix: string) {
    super(400, 'REPLY_ADDRESS_NOT_REGISTERED', 'The reply address is not registered on your Partner Center web app yet, so Microsoft could not send you back here.', {
      fields: [{ path: 'replyAddress', message: fix }],
    });
  }
}

export type ReplyAddressCheck = 'registered' | 'not_checked';

export function createReplyAddressCheck(deps: {
  credentials: Pick<MicrosoftCredentials, 'graphAppToken'>;
  graph: Pick<GraphClient, 'applicationRedirectUris'>;
  replyAddress: string;
  logger: Logger;
}) {
  return async function checkReplyAddress(connection: { partner_id: string; tenant_id: string; entra_app_id: string; partner_center_web_app_id: string }): Promise<ReplyAddressCheck> {
    let token: string;
    try {
      token = (await deps.credentials.graphAppToken(connection.partner_id, { tenantId: connection.tenant_id, entraAppId: connection.entra_app_id })).accessToken;
    } catch (error) {
      if (!(error instanceof MicrosoftIdentityError)) throw error;
      deps.logger.info({ aadsts: error.aadsts }, 'reply address not checked: no Graph token for the Entra app');
      return 'not_checked';
    }
    let app;
    try {
      app = await deps.graph.applicationRedirectUris(token, connection.partner_center_web_app_id);
    } catch (error) {
      if (!(error instanceof GraphError) || error.status >= 500) throw error;
      deps.logger.info({ graphStatus: error.graphStatus, graphCode: error.graphCode }, 'reply address not checked: Graph refused to read the web app');
      return 'not_checked';
    }
    if (!app) {
      throw new AppError(400, 'PARTNER_CENTER_APP_NOT_FOUND', 'The Partner Center web app no longer exists in your tenant.', {
        fields: [{ path: 'webAppId', message: 'No app with this Web App ID exists in your tenant any more. Enter the Partner Center app again (Partner Center > Account settings > App management > Web app).' }],
      });
    }
    const finding = findReplyAddress(app, deps.replyAddress);
    if (finding.registered) return 'registered';
    throw new ReplyAddressNotRegisteredError(replyAddressFix(finding, deps.replyAddress, app));
  };
}

export type CheckReplyAddress = ReturnType<typeof createReplyAddressCheck>;
