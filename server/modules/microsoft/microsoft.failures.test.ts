import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, UnavailableError } from '../../lib/errors.ts';
import { GraphError } from './graph.client.ts';
import { MicrosoftIdentityError } from './microsoft.errors.ts';
import {
  GRAPH_ROWS, IDENTITY_ROWS, PARTNER_CENTER_ROWS, classifyFailure, describeFailure,
  type AfterFix, type CredentialSource, type FailureKind,
} from './microsoft.failures.ts';
import { PartnerCenterError } from './partner-center.client.ts';

// The classifier table, row by row. The expectations are written out here, independently of the
// table, so that a changed row fails this test and a new row without an expectation fails too.

interface Expected {
  kind: FailureKind;
  then: AfterFix;
  /** Words the partner must find in the problem or the fix. */
  words: RegExp;
}

const identityExpectations: Record<number, Expected> = {
  7000222: { kind: 'partner_action', then: 'enter_new_secret', words: /expired[\s\S]*(New client secret|Add key)/ },
  7000215: { kind: 'partner_action', then: 'enter_new_secret', words: /ID was copied instead of its value[\s\S]*(New client secret|Add key)/ },
  700016: { kind: 'partner_action', then: 'contact_support', words: /Application \(client\) ID/ },
  90002: { kind: 'partner_action', then: 'contact_support', words: /primary domain/ },
  65001: { kind: 'partner_action', then: 'check_again', words: /Grant admin consent/ },
  50126: { kind: 'partner_action', then: 'sign_in_again', words: /password/ },
  50076: { kind: 'partner_action', then: 'sign_in_again', words: /multi-factor/ },
  50079: { kind: 'partner_action', then: 'sign_in_again', words: /register a method/ },
  50011: { kind: 'partner_action', then: 'sign_in_again', words: /Authentication > Web > Redirect URIs/ },
  50072: { kind: 'partner_action', then: 'sign_in_again', words: /register a method/ },
  50074: { kind: 'partner_action', then: 'sign_in_again', words: /complete the multi-factor prompt/ },
  500121: { kind: 'partner_action', then: 'sign_in_again', words: /approve the prompt/ },
  65004: { kind: 'partner_action', then: 'sign_in_again', words: /press Accept/ },
  90094: { kind: 'partner_action', then: 'sign_in_again', words: /Consent on behalf of your organization/ },
  90095: { kind: 'partner_action', then: 'sign_in_again', words: /grant admin consent/ },
  700082: { kind: 'partner_action', then: 'sign_in_again', words: /90 days/ },
  50173: { kind: 'partner_action', then: 'sign_in_again', words: /revoked[\s\S]*new password/ },
  53003: { kind: 'partner_action', then: 'check_again', words: /Conditional Access[\s\S]*exclude the service account/ },
  50034: { kind: 'partner_action', then: 'sign_in_again', words: /no longer exists/ },
  50057: { kind: 'partner_action', then: 'check_again', words: /Block sign-in/ },
  50055: { kind: 'partner_action', then: 'sign_in_again', words: /Reset password/ },
  900421: { kind: 'partner_action', then: 'sign_in_again', words: /multi-factor[\s\S]*Conditional Access/ },
};

describe('failure classifier: identity (AADSTS) rows', () => {
  it('has an expectation for every row of the table, and the other way round', () => {
    assert.deepEqual(Object.keys(IDENTITY_ROWS).sort(), Object.keys(identityExpectations).sort());
  });

  for (const [code, expected] of Object.entries(identityExpectations)) {
    for (const source of ['entra_app', 'partner_center_app'] as CredentialSource[]) {
      it(`AADSTS${code} (${source}) -> ${expected.kind}, then ${expected.then}`, () => {
        const error = new MicrosoftIdentityError(Number(code), 'invalid_grant', `AADSTS${code}: something. Trace ID: x`, 'Reading your customers', source);
        const failure = classifyFailure(error, { replyAddress: 'https://signup.example/api/connect/microsoft/callback' });
        assert.equal(failure.kind, expected.kind);
        assert.equal(failure.then, expected.then);
        assert.equal(failure.code, `AADSTS${code}`);
        assert.match(`${failure.problem} ${failure.fix}`, expected.words);
        assert.ok(failure.problem.length > 20 && failure.fix.length > 20, 'a problem and a fix in full sentences');
        // The error's own message (shown in the wizard) carries the same words.
        assert.match(error.message, expected.words);
      });
    }
  }

  it('names the app whose secret expired, and where that app makes a new one', () => {
    const entra = classifyFailure(new MicrosoftIdentityError(7000222, 'invalid_client', '', 'x', 'entra_app'));
    const pc = classifyFailure(new MicrosoftIdentityError(7000222, 'invalid_client', '', 'x', 'partner_center_app'));
    assert.equal(entra.source, 'entra_app');
    assert.match(entra.problem, /Entra app/);
    assert.match(entra.fix, /App registrations > All applications > the TotalOne app > Certificates & secrets > New client secret/);
    assert.equal(pc.source, 'partner_center_app');
    assert.match(pc.problem, /Partner Center web app/);
    assert.match(pc.fix, /App management > Web app > Add key/);
  });

  it('codes about the service account say so, whatever app made the request', () => {
    assert.equal(classifyFailure(new MicrosoftIdentityError(50173, 'invalid_grant', '', 'x', 'partner_center_app')).source, 'service_account');
  });

  it('the reply address goes into the 50011 fix', () => {
    const failure = classifyFailure(new MicrosoftIdentityError(50011, 'invalid_request', '', 'x'), { replyAddress: 'https://signup.example/api/connect/microsoft/callback' });
    assert.match(failure.fix, /add https:\/\/signup\.example\/api\/connect\/microsoft\/callback exactly/);
  });

  it('Microsoft busy (temporarily_unavailable, server_error) is transient whatever the code', () => {
    assert.equal(classifyFailure(new MicrosoftIdentityError(50196, 'temporarily_unavailable', '', 'x')).kind, 'transient');
    assert.equal(classifyFailure(new MicrosoftIdentityError(undefined, 'server_error', '', 'x')).kind, 'transient');
  });

  it('an AADSTS code the table does not know is for the operators, never retried in silence', () => {
    const failure = classifyFailure(new MicrosoftIdentityError(7000218, 'invalid_client', '', 'x', 'entra_app'));
    assert.equal(failure.kind, 'operator_action');
    assert.equal(failure.code, 'AADSTS7000218');
    assert.equal(failure.then, 'contact_support');
  });
});

const graphExpectations: Record<string, Expected & { status: number }> = {
  Authorization_RequestDenied: { status: 403, kind: 'partner_action', then: 'check_again', words: /API permissions[\s\S]*Grant admin consent/ },
  InvalidAuthenticationToken: { status: 401, kind: 'transient', then: 'wait', words: /access token/ },
  Request_ResourceNotFound: { status: 404, kind: 'operator_action', then: 'contact_support', words: /does not know/ },
};

describe('failure classifier: Microsoft Graph rows', () => {
  it('has an expectation for every row', () => {
    assert.deepEqual(Object.keys(GRAPH_ROWS).sort(), Object.keys(graphExpectations).sort());
  });

  for (const [code, expected] of Object.entries(graphExpectations)) {
    it(`Graph ${expected.status} ${code} -> ${expected.kind}`, () => {
      const error = new GraphError(expected.status, code, 'Insufficient privileges to complete the operation.', 'Reading GDAP relationships');
      const failure = classifyFailure(error);
      assert.equal(failure.kind, expected.kind);
      assert.equal(failure.then, expected.then);
      assert.equal(failure.code, `GRAPH_${code}`);
      assert.match(`${failure.problem} ${failure.fix}`, expected.words);
    });
  }

  it('Authorization_RequestDenied names the missing permission when the caller knows it', () => {
    const failure = classifyFailure(new GraphError(403, 'Authorization_RequestDenied', '', 'x'), { graphPermission: 'DelegatedAdminRelationship.Read.All' });
    assert.match(failure.fix, /Application permissions, add DelegatedAdminRelationship\.Read\.All, then press "Grant admin consent/);
    assert.equal(failure.source, 'entra_app');
  });

  it('429 and 5xx are transient with the wait Microsoft asked for; an unknown 400 is for the operators', () => {
    const throttled = classifyFailure(new GraphError(429, 'TooManyRequests', '', 'x'));
    assert.equal(throttled.kind, 'transient');
    assert.equal(throttled.retryAfterSeconds, 30);
    for (const status of [500, 502, 503, 504]) assert.equal(classifyFailure(new GraphError(status, `HTTP${status}`, '', 'x')).kind, 'transient');
    assert.equal(classifyFailure(new GraphError(400, 'Request_BadRequest', '', 'x')).kind, 'operator_action');
    assert.equal(classifyFailure(new GraphError(403, 'Forbidden', '', 'x')).kind, 'partner_action', 'any 403 is a missing permission');
  });
});

const partnerCenterExpectations: Record<number, Expected> = {
  401: { kind: 'partner_action', then: 'sign_in_again', words: /no longer accepts/ },
  403: { kind: 'partner_action', then: 'check_again', words: /Account settings > User management[\s\S]*Admin agent/ },
};

describe('failure classifier: Partner Center rows', () => {
  it('has an expectation for every row', () => {
    assert.deepEqual(Object.keys(PARTNER_CENTER_ROWS).sort(), Object.keys(partnerCenterExpectations).sort());
  });

  for (const [status, expected] of Object.entries(partnerCenterExpectations)) {
    it(`Partner Center ${status} -> ${expected.kind}`, () => {
      const failure = classifyFailure(new PartnerCenterError(Number(status), 'Unauthorized', '', 'Reading your customers'));
      assert.equal(failure.kind, expected.kind);
      assert.equal(failure.then, expected.then);
      assert.equal(failure.code, `PARTNER_CENTER_${status}`);
      assert.match(`${failure.problem} ${failure.fix}`, expected.words);
    });
  }

  it('401 with 900421 is the missing MFA (an identity row), with Partner Center\u2019s own code shape or a number', () => {
    for (const code of [900421, '900421']) {
      const failure = classifyFailure(new PartnerCenterError(401, code, 'MFA required', 'x'));
      assert.equal(failure.code, 'AADSTS900421');
      assert.equal(failure.then, 'sign_in_again');
    }
  });

  it('429 and 5xx are transient; a refused continuation token restarts the run; other answers go to the operators', () => {
    const throttled = classifyFailure(new PartnerCenterError(429, 429, 'Rate limit is exceeded', 'x', 12));
    assert.deepEqual([throttled.kind, throttled.retryAfterSeconds], ['transient', 12]);
    for (const status of [500, 502, 503, 504]) assert.equal(classifyFailure(new PartnerCenterError(status, status, '', 'x')).kind, 'transient');
    const refused = classifyFailure(new PartnerCenterError(400, '1002', 'Invalid continuation token', 'x'), { continuation: true });
    assert.deepEqual([refused.kind, refused.restartRun, refused.code], ['transient', true, 'PARTNER_CENTER_CONTINUATION_REFUSED']);
    assert.equal(classifyFailure(new PartnerCenterError(400, '1002', 'Bad request', 'x')).kind, 'operator_action', 'a 400 on a first page is ours to look at');
    assert.equal(classifyFailure(new PartnerCenterError(404, '600008', 'Not found', 'x')).kind, 'operator_action');
  });
});

describe('failure classifier: outages and our own errors', () => {
  it('timeouts, unreachable Microsoft and an unavailable vault are transient', () => {
    assert.equal(classifyFailure(new UnavailableError('MICROSOFT_UNREACHABLE', 'Microsoft did not answer in time')).kind, 'transient');
    assert.equal(classifyFailure(new UnavailableError('VAULT_UNAVAILABLE', 'The vault is not answering')).kind, 'transient');
  });

  it('a damaged vault record, a missing credential or a bug goes to the operators', () => {
    assert.equal(classifyFailure(new AppError(500, 'VAULT_INTEGRITY_FAILED', 'x')).kind, 'operator_action');
    assert.equal(classifyFailure(new AppError(404, 'CREDENTIAL_NOT_FOUND', 'x')).kind, 'operator_action');
    assert.equal(classifyFailure(new TypeError('cannot read properties of undefined')).kind, 'operator_action');
    assert.equal(classifyFailure('a string').kind, 'operator_action');
  });
});

describe('describeFailure', () => {
  it('adds what to do in TotalOne: in the wizard and in a background job', () => {
    const failure = classifyFailure(new MicrosoftIdentityError(7000222, 'invalid_client', '', 'x', 'entra_app'));
    assert.match(describeFailure(failure, { interactive: true }), /Then enter the new value here\.$/);
    assert.match(describeFailure(failure), /never send a secret by email/);
    const blocked = classifyFailure(new MicrosoftIdentityError(53003, 'invalid_grant', '', 'x'));
    assert.match(describeFailure(blocked), /Check again/);
    assert.match(describeFailure(classifyFailure(new GraphError(503, 'x', '', 'x'))), /tries again by itself/);
  });
});

describe('module boundaries and the README', () => {
  it('the README prints every code of the table', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('./README.md', import.meta.url), 'utf8');
    for (const code of Object.keys(IDENTITY_ROWS)) assert.ok(readme.includes(`| AADSTS${code}`), `README lists AADSTS${code}`);
    for (const code of Object.keys(GRAPH_ROWS)) assert.ok(readme.includes(`| ${code}`), `README lists ${code}`);
    for (const code of Object.keys(PARTNER_CENTER_ROWS)) assert.ok(readme.includes(`| HTTP ${code} |`), `README lists Partner Center ${code}`);
  });

  it('sync and the Microsoft module never import connect; microsoft imports neither connect nor sync', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const modules = new URL('../', import.meta.url);
    const importsOf = async (folder: string) => {
      const files = (await readdir(new URL(`${folder}/`, modules))).filter((f) => f.endsWith('.ts'));
      const all = await Promise.all(files.map(async (f) => ({ f, text: await readFile(new URL(`${folder}/${f}`, modules), 'utf8') })));
      return all.flatMap(({ f, text }) => [...text.matchAll(/from '(\.\.\/[^']+)'/g)].map((m) => `${f} -> ${m[1]}`));
    };
    assert.deepEqual((await importsOf('sync')).filter((i) => i.includes('../connect/')), []);
    assert.deepEqual((await importsOf('microsoft')).filter((i) => /\.\.\/(connect|sync)\//.test(i)), []);
  });
});
