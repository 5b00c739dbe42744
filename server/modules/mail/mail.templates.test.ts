import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHtml, renderMail, templateNames } from './mail.templates.ts';

const ctx = { publicUrl: 'https://signup.example', supportEmail: 'help@example.com' };
const params = { firstName: 'Jana', companyName: 'Fabrikam <GmbH>', expiresAt: '2026-01-03T09:00:00.000Z', reference: 'TO-AAAA-BBBB', verified: true, entraDomain: 'f.onmicrosoft.com', claimedAt: '2026-01-01T10:00:00.000Z', name: 'Jana', message: 'Help please' };

describe('email templates', () => {
  it('every template renders a subject, a text part and an HTML part', () => {
    for (const name of templateNames) {
      const mail = renderMail(name, params, { token: 'T'.repeat(43) }, ctx);
      assert.ok(mail.subject.length > 5, name);
      assert.ok(mail.text.includes('Hello Jana'), name);
      assert.match(mail.html, /^<!doctype html>/, name);
      assert.ok(!mail.html.includes('<GmbH>'), `${name} escapes HTML`);
    }
  });

  it('puts link tokens in the URL fragment, never in the path or query', () => {
    const verify = renderMail('verify_email', params, { token: 'abc' }, ctx);
    assert.match(verify.text, /https:\/\/signup\.example\/verify#token=abc/);
    const link = renderMail('signup_link', params, { token: 'xyz' }, ctx);
    assert.match(link.text, /https:\/\/signup\.example\/signup-link#token=xyz/);
    assert.match(link.text, /works once/);
    assert.match(link.text, /2026-01-03 09:00 UTC/);
  });

  it('escapes every HTML special character', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('refuses an unknown template', () => {
    assert.throws(() => renderMail('nope', {}, {}, ctx), /Unknown email template/);
  });
});
