import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findReplyAddress, replyAddressFix, replyAddressOf, sameReplyAddress } from './connect.reply.fns.ts';

// Matching as Microsoft documents it: "Redirect URI (reply URL) restrictions and limitations",
// https://learn.microsoft.com/en-us/entra/identity-platform/reply-url (paths are case-sensitive;
// the port of an http localhost address is ignored).

const reply = 'https://signup.totalone.example/api/connect/microsoft/callback';

describe('reply address', () => {
  it('is PUBLIC_URL plus the callback path, without a double slash', () => {
    assert.equal(replyAddressOf('https://signup.totalone.example'), reply);
    assert.equal(replyAddressOf('https://signup.totalone.example/'), reply);
  });

  it('matches exactly; the host is case-insensitive, the path is not', () => {
    assert.equal(sameReplyAddress(reply, reply), true);
    assert.equal(sameReplyAddress('https://SIGNUP.totalone.example/api/connect/microsoft/callback', reply), true);
    assert.equal(sameReplyAddress('https://signup.totalone.example/api/connect/Microsoft/callback', reply), false);
    assert.equal(sameReplyAddress(`${reply}/`, reply), false);
    assert.equal(sameReplyAddress('https://signup.totalone.example:8443/api/connect/microsoft/callback', reply), false, 'ports count for https');
  });

  it('ignores the port of an http loopback address only', () => {
    assert.equal(sameReplyAddress('http://localhost/api/connect/microsoft/callback', 'http://localhost:3100/api/connect/microsoft/callback'), true);
    assert.equal(sameReplyAddress('http://127.0.0.1:4000/api/connect/microsoft/callback', 'http://127.0.0.1:3100/api/connect/microsoft/callback'), true);
    assert.equal(sameReplyAddress('http://localhost/api/connect/microsoft/callback', 'http://127.0.0.1:3100/api/connect/microsoft/callback'), false);
    assert.equal(sameReplyAddress('http://example.com/api/connect/microsoft/callback', 'http://example.com:3100/api/connect/microsoft/callback'), false);
  });

  it('tells a missing address from one under another platform and from a near miss', () => {
    assert.deepEqual(findReplyAddress({ web: [reply], spa: [], publicClient: [] }, reply), { registered: true });
    assert.deepEqual(findReplyAddress({ web: [], spa: [], publicClient: [] }, reply), { registered: false, reason: 'missing' });
    assert.deepEqual(findReplyAddress({ web: [], spa: [reply], publicClient: [] }, reply), { registered: false, reason: 'other_platform', platform: 'spa' });
    assert.deepEqual(findReplyAddress({ web: [], spa: [], publicClient: [reply] }, reply), { registered: false, reason: 'other_platform', platform: 'publicClient' });
    assert.deepEqual(findReplyAddress({ web: [`${reply}/`], spa: [], publicClient: [] }, reply), { registered: false, reason: 'near_miss', registeredAs: `${reply}/` });
  });

  it('says where the address goes, with the app named', () => {
    const fix = replyAddressFix({ registered: false, reason: 'missing' }, reply, { displayName: 'Contoso PC web app', appId: 'abc' });
    assert.match(fix, /App registrations > All applications > the app "Contoso PC web app" \(App ID abc\) > Authentication > Web/);
    assert.ok(fix.includes(reply));
    assert.match(fix, /AADSTS50011/);
  });
});
