import { errorBody } from '../../../contracts/common.ts';
import { offboardedSchema, offboardingTokenSchema, offboardingViewSchema } from '../../../contracts/sync.ts';
import type { App } from '../../app/http.ts';
import type { Offboarding } from './partners.offboarding.ts';

// The primary contact's confirmation link for offboarding (`/offboard#token=...`): opening it
// changes nothing; only the confirmation does. The request itself is on the status page
// (POST /api/status/offboarding-request, sync.routes.ts).

export function registerPartnersRoutes(app: App, deps: { offboarding: Pick<Offboarding, 'inspect' | 'confirm'> }) {
  const errors = { 400: errorBody, 404: errorBody, 410: errorBody };
  app.post(
    '/api/offboarding/inspect',
    { schema: { tags: ['status'], summary: 'What a confirmation link would disconnect (changes nothing)', body: offboardingTokenSchema, response: { 200: offboardingViewSchema, ...errors } } },
    async (request) => deps.offboarding.inspect(request.body.token),
  );
  app.post(
    '/api/offboarding/confirm',
    {
      schema: {
        tags: ['status'],
        summary: 'The primary contact confirms: syncs stop, every stored credential is destroyed, both contacts are told; data deleted after the retention period',
        body: offboardingTokenSchema,
        response: { 200: offboardedSchema, ...errors },
      },
    },
    async (request) => deps.offboarding.confirm(request.body.token, request.ip),
  );
}
