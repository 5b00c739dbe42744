import { errorBody } from '../../../contracts/common.ts';
import { connectProgressSchema, legalTextsSchema, replyAddressSchema, termsAcceptanceSchema } from '../../../contracts/connect.ts';
import type { App } from '../../app/http.ts';
import { requestMeta, signupSessionCookie } from '../signup/signup.routes.ts';
import type { ConnectService } from './connect.service.ts';

export function registerConnectRoutes(app: App, deps: { connect: ConnectService; publicUrl: string }) {
  const { connect } = deps;
  const session = signupSessionCookie(deps.publicUrl);
  const errors = { 400: errorBody, 404: errorBody, 409: errorBody };

  app.get(
    '/api/connect/terms',
    { schema: { tags: ['connect'], summary: 'The current Terms of Use and Privacy Policy, in full, with version and SHA-256', response: { 200: legalTextsSchema } } },
    async () => ({ documents: connect.legalTexts() }),
  );

  // Public: the Step 2 guidance names the exact address partners register on their web app.
  app.get(
    '/api/connect/reply-address',
    { schema: { tags: ['connect'], summary: 'The reply address to register on the Partner Center web app (Authentication > Web > Redirect URIs)', response: { 200: replyAddressSchema } } },
    async () => ({ replyAddress: connect.replyAddress() }),
  );

  app.get(
    '/api/connect/progress',
    { schema: { tags: ['connect'], summary: 'Where this browser\u2019s connection stands', response: { 200: connectProgressSchema, ...errors } } },
    async (request) => connect.progress(session.read(request)),
  );

  app.post(
    '/api/connect/terms-acceptances',
    {
      schema: {
        tags: ['connect'],
        summary: 'Accept the current Terms of Use and Privacy Policy (recorded, append-only)',
        body: termsAcceptanceSchema,
        response: { 200: connectProgressSchema, ...errors },
      },
    },
    async (request) => connect.acceptTerms(session.read(request), request.body, requestMeta(request)),
  );
}
