// Contract: the Partner Center answers the product reads (customer pages with a continuation token,
// error bodies), against the samples and schemas on Microsoft Learn.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type Emulator } from '../../index.ts';
import { REDIRECT_URI, appToken, bearer, getJson, signInServiceAccount } from '../helpers.ts';
import { assertShape } from './shape.ts';

let e: Emulator;
before(async () => { e = await startEmulator({ port: 0, replyAddress: REDIRECT_URI }); });
after(async () => { await e.close(); });

const pc = (path: string) => `${e.baseUrl}/v1${path}`;

/** The headers the product sends ("Partner Center REST headers": https://learn.microsoft.com/en-us/partner-center/developer/headers). */
function productHeaders(token: string, correlationId: string) {
  return { ...bearer(token), Accept: 'application/json', 'MS-RequestId': randomUUID(), 'MS-CorrelationId': correlationId, 'MS-Contract-Version': 'v1' };
}

// A customer as "Get a list of customers" shows it
// (https://learn.microsoft.com/en-us/partner-center/developer/get-a-list-of-customers), plus
// allowDelegatedAccess from the Customer resource (https://learn.microsoft.com/en-us/partner-center/developer/customer-resources#customer).
const customerSample = {
  id: 'bfbd6ef0-311f-47ec-bbd7-0fcb7846661b',
  companyProfile: {
    tenantId: 'bfbd6ef0-311f-47ec-bbd7-0fcb7846661b',
    domain: 'contosocorpdemo.onmicrosoft.com',
    companyName: 'Contoso',
    links: { self: { uri: '/customers/bfbd6ef0-311f-47ec-bbd7-0fcb7846661b/profiles/company', method: 'GET', headers: [] } },
    attributes: { objectType: 'CustomerCompanyProfile' },
  },
  relationshipToPartner: 'reseller',
  allowDelegatedAccess: true,
  links: { self: { uri: '/customers/bfbd6ef0-311f-47ec-bbd7-0fcb7846661b', method: 'GET', headers: [] } },
  attributes: { objectType: 'Customer' },
};

// A page with a next page: the collection of the customer list, and links.next as Partner Center's
// paged collections show it, e.g. "Get invoice unbilled consumption line items"
// (https://learn.microsoft.com/en-us/partner-center/developer/get-invoice-unbilled-consumption-lineitems):
// the next uri with seekOperation=Next and the MS-ContinuationToken header to send.
const pageSample = {
  totalCount: 25,
  items: [customerSample],
  links: {
    self: { uri: '/customers?size=40', method: 'GET', headers: [] },
    next: { uri: '/customers?size=40&seekOperation=Next', method: 'GET', headers: [{ key: 'MS-ContinuationToken', value: 'AQAAAA==' }] },
  },
  attributes: { objectType: 'Collection' },
};

describe('Partner Center customers (contract)', () => {
  it('pages of customers as the product reads them, following links.next with the continuation header', async () => {
    const { token } = await signInServiceAccount(e);
    const correlationId = randomUUID();
    const first = await getJson(pc('/customers?size=100'), productHeaders(token.body.access_token, correlationId));
    assert.equal(first.status, 200);
    assert.match(first.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(first.headers.get('ms-correlationid'), correlationId, 'the response carries the correlation id');
    assert.ok(first.headers.get('ms-requestid'));
    assertShape(first.body, pageSample);
    assert.match(first.body.links.next.uri, /^\/customers\?size=100&seekOperation=Next$/, 'relative to the version root, as in the samples');
    let page = first.body;
    let pages = 1;
    while (page.links.next) {
      const header = page.links.next.headers.find((h: { key: string }) => h.key === 'MS-ContinuationToken');
      const next = await getJson(pc(page.links.next.uri), { ...productHeaders(token.body.access_token, correlationId), 'MS-ContinuationToken': header.value });
      assert.equal(next.status, 200);
      assertShape(next.body, { ...pageSample, links: { self: pageSample.links.self } });
      page = next.body;
      pages += 1;
    }
    assert.equal(pages, 3, '250 customers in pages of 100');
    assert.equal(page.totalCount, 50, 'totalCount counts the items of this page');
  });
});

// "Partner Center REST error codes" (https://learn.microsoft.com/en-us/partner-center/developer/error-codes):
// { code: string, description: string, data: array, source: string }, and on 401
// "WWW-Authenticate: OAuth realm=urn:cpsvc:cpid:{some cid}". (The older sample of "Verify a partner MPN ID"
// shows a numeric code; the schema table says string, and the emulator follows the table.)
const errorSample = { code: '1000', description: 'Not found', data: [], source: 'PartnerFD' };

describe('Partner Center errors (contract)', () => {
  it('401 without a token, 403 for a user without an agent role, 404 for an unknown customer and an unknown path', async () => {
    const noToken = await getJson(pc('/customers?size=10'), { Accept: 'application/json' });
    assert.equal(noToken.status, 401);
    assertShape(noToken.body, errorSample);
    assert.match(noToken.headers.get('www-authenticate') ?? '', /^OAuth realm=urn:cpsvc:cpid:/);

    e.loadScenario('pc-role-missing');
    const { token } = await signInServiceAccount(e);
    const forbidden = await getJson(pc('/customers?size=10'), productHeaders(token.body.access_token, randomUUID()));
    assert.equal(forbidden.status, 403);
    assertShape(forbidden.body, errorSample);
    e.loadScenario('ready');

    const app = await appToken(e, 'https://api.partnercenter.microsoft.com');
    for (const path of ['/customers/00000000-0000-4000-8000-000000000000', '/no-such-resource']) {
      const r = await getJson(pc(path), productHeaders(app, randomUUID()));
      assert.equal(r.status, 404, path);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      assertShape(r.body, errorSample);
      assert.equal(r.body.source, 'PartnerFD');
      assert.ok(r.body.description.length > 0 && r.body.description.length <= 1024, 'non-empty, at most 1024 characters');
    }
  });
});
