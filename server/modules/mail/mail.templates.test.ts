import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHtml, renderMail, renderMailWithoutLinks, templateNames, type AttentionReminderParams, type TemplateName, type TypedTemplateParams } from './mail.templates.ts';

const ctx = { publicUrl: 'https://signup.example', supportEmail: 'help@example.com' };
const params = { firstName: 'Jana', companyName: 'Fabrikam <GmbH>', expiresAt: '2026-01-03T09:00:00.000Z', reference: 'TO-AAAA-BBBB', verified: true, entraDomain: 'f.onmicrosoft.com', claimedAt: '2026-01-01T10:00:00.000Z', name: 'Jana', message: 'Help please' };
const attention: AttentionReminderParams = {
  firstName: 'Jana',
  companyName: 'Fabrikam <GmbH>',
  reference: 'TO-AAAA-BBBB',
  code: 'AADSTS7000222',
  problem: 'The client secret of the Partner Center web app has expired.',
  fix: 'In Partner Center > App management > Web app > Add key, create a new key.',
  afterFix: 'Then press "Check again" on your TotalOne status page.',
  statusLinkExpiresAt: '2026-02-01T09:00:00.000Z',
  openedAt: '2026-01-01T09:00:00.000Z',
  primaryContactName: 'Jana Novak',
  primaryContactEmail: 'jana@fabrikam.example',
};
const expiry = {
  secretName: 'the key of the Partner Center web app',
  appId: '11111111-2222-3333-4444-555555555555',
  endsAt: '2026-03-01T00:00:00.000Z',
  daysLeft: 14,
  steps: 'In Partner Center > App management > Web app > Add key, create a new key.',
  afterRotation: 'Then give TotalOne the new value.',
  offboardedAt: '2026-03-01T00:00:00.000Z',
  deleteAfter: '2026-03-31T00:00:00.000Z',
  expiresAt: '2026-01-03T09:00:00.000Z',
  customerCount: 1234,
  completedAt: '2026-01-02T09:00:00.000Z',
  aadsts: 50173,
  serviceAccount: 'total.one@fabrikam.onmicrosoft.com',
  updatedAt: '2026-01-02T09:00:00.000Z',
  updated: ['the Partner Center web app secret'],
  partnerCenterSecretExpiresOn: '2028-01-01',
  resumedImport: false,
};

describe('email templates', () => {
  it('every template renders a subject, a text part and an HTML part', () => {
    for (const name of templateNames) {
      const mail = renderMail(name, { ...params, ...attention, ...expiry }, { token: 'T'.repeat(43), statusKey: 'K' }, ctx);
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

  it('the confirmation and signup link emails carry the signup reference and link Step 2 of the guide', () => {
    for (const name of ['verify_email', 'signup_link'] as const) {
      assert.match(renderMail(name, params, { token: 'abc' }, ctx).text, /Your signup reference: TO-AAAA-BBBB\. Mention it when you contact support\./, name);
    }
    assert.match(renderMail('signup_link', params, { token: 'abc' }, ctx).text, /Step 2 of the guide, https:\/\/signup\.example\/#prepare-microsoft/);
  });

  it('the attention emails carry the problem, the exact fix and the status link, never "undefined"', () => {
    for (const name of ['attention_required', 'attention_reminder'] as const) {
      const mail = renderMail(name, attention, { statusKey: 'abc' }, ctx);
      assert.ok(mail.text.includes(attention.problem), name);
      assert.ok(mail.text.includes(attention.fix), name);
      assert.ok(mail.text.includes(attention.afterFix), name);
      assert.match(mail.text, /https:\/\/signup\.example\/status#key=abc/);
      assert.ok(!/undefined/.test(mail.text) && !/undefined/.test(mail.html), name);
    }
    const reminder = renderMail('attention_reminder', attention, { statusKey: 'abc' }, ctx);
    assert.match(reminder.text, /Jana Novak \(jana@fabrikam\.example\)/);
    // Nothing to do in TotalOne after the fix: no empty paragraph.
    const quiet = renderMail('attention_required', { ...attention, afterFix: '' }, { statusKey: 'abc' }, ctx);
    assert.ok(!/\n\n\n/.test(quiet.text));
  });

  it("the operator's reply keeps its paragraphs and line breaks in the HTML part", () => {
    const reply = 'Hello Jana,\n\nthe secret was renewed.\nPlease sign in again.\r\n\r\nRegards <Ops>';
    const mail = renderMail('support_reply', { ...params, reply, originalMessage: 'First line\n\nSecond line' }, {}, ctx);
    assert.match(mail.html, /<p>Hello Jana,<\/p>\n<p>the secret was renewed\.<br>Please sign in again\.<\/p>\n<p>Regards &lt;Ops&gt;<\/p>/);
    assert.match(mail.html, /<p style="font-size:14px">First line<\/p>\n<p style="font-size:14px">Second line<\/p>/);
    assert.ok(mail.text.includes(reply), 'the text part carries the reply as written');
  });

  it('an email rebuilt from the outbox shows its link as removed and carries no link token', () => {
    for (const name of templateNames) {
      const mail = renderMailWithoutLinks(name, { ...params, ...attention, ...expiry }, ctx);
      assert.ok(!/#(token|key)=/.test(mail.text + mail.html), `${name} has no link with a token`);
      if (mail.linkRemoved) {
        assert.match(mail.text, /\[link removed: its one-time secret is erased once the email is sent\]/, name);
        assert.match(mail.html, /link removed/, name);
      }
    }
    assert.equal(renderMailWithoutLinks('verify_email', params, ctx).linkRemoved, true);
    assert.equal(renderMailWithoutLinks('support_request_received', params, ctx).linkRemoved, false);
  });

  it('the secret-expiry reminder names the secret, the day, the portal steps and the status link', () => {
    const mail = renderMail('secret_expiry_reminder', { ...attention, ...expiry }, { statusKey: 'abc' }, ctx);
    assert.match(mail.subject, /expires in 14 days/);
    assert.ok(mail.text.includes(expiry.appId) && mail.text.includes(expiry.steps) && mail.text.includes('2026-03-01 00:00 UTC'));
    assert.match(mail.text, /status#key=abc/);
    assert.ok(!/undefined/.test(mail.text));
    assert.match(renderMail('secret_expiry_reminder', { ...attention, ...expiry, daysLeft: 1 }, { statusKey: 'abc' }, ctx).subject, /expires tomorrow/);
  });

  it('the secret-expiry reminder leads to the update link; the update link email carries its token in the fragment; both contacts learn of the change', () => {
    const reminder = renderMail('secret_expiry_reminder', { ...attention, ...expiry }, { statusKey: 'abc' }, ctx);
    assert.match(reminder.text, /Update the secret in TotalOne: https:\/\/signup\.example\/status#key=abc&update-credentials/);
    assert.match(reminder.text, /Email me an update link/);
    const link = renderMail('credential_update_link', { firstName: 'Jana', companyName: 'Fabrikam GmbH', reference: 'TO-AAAA-BBBB', expiresAt: '2026-01-03T09:00:00.000Z' }, { token: 'tok' }, ctx);
    assert.match(link.text, /\/credentials#token=tok/);
    assert.match(link.html, /credentials#token=tok/);
    assert.match(link.text, /keep the old one/);
    const updated = renderMail(
      'credentials_updated',
      { firstName: 'Tom', companyName: 'Fabrikam GmbH', reference: 'TO-AAAA-BBBB', updatedAt: '2026-01-03T09:00:00.000Z', updated: ['the Partner Center web app secret', 'the client secret of the Entra app'], partnerCenterSecretExpiresOn: '2028-01-02', resumedImport: true, statusLinkExpiresAt: '2026-02-03T09:00:00.000Z' },
      { statusKey: 'abc' },
      ctx,
    );
    assert.match(updated.text, /the Partner Center web app secret and the client secret of the Entra app/);
    assert.match(updated.text, /expires on 2028-01-02/);
    assert.match(updated.text, /runs again now/);
    assert.match(updated.html, /delete the old secret/);
  });

  it('escapes every HTML special character', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('refuses an unknown template', () => {
    assert.throws(() => renderMail('nope', {}, {}, ctx), /Unknown email template/);
  });

  it('every template renders from its typed parameters (a sample per template, or this file does not compile): subject, text and HTML, no "undefined", "null", "NaN" or "Invalid Date"', () => {
    const who = { firstName: 'Jana', companyName: 'Fabrikam GmbH', reference: 'TO-AAAA-BBBB' };
    const at = '2026-01-03T09:00:00.000Z';
    const samples: { [T in TemplateName]: TypedTemplateParams[T] } = {
      verify_email: { ...who, expiresAt: at },
      signup_link: { ...who, expiresAt: at },
      signup_in_progress: { ...who, verified: false },
      company_already_registered: { firstName: 'Jana', entraDomain: 'fabrikam.onmicrosoft.com' },
      signup_link_opened: { firstName: 'Jana', companyName: 'Fabrikam GmbH', claimedAt: at },
      signup_link_in_use: { ...who, claimedAt: at },
      signup_not_possible: {},
      support_request_received: { reference: 'SR-1234' },
      operator_invite: { email: 'op@totalone.example', role: 'support', invitedBy: 'admin@totalone.example', expiresAt: at },
      support_reply: { firstName: 'Jana', name: 'Jana Novak', reference: 'SR-1234', reply: 'Here is how.\n\nSecond paragraph.', originalMessage: 'How do I?' },
      sync_completed: { ...who, customerCount: 250, completedAt: at, statusLinkExpiresAt: at },
      sync_failed_reconnect: { ...who, aadsts: null, problem: 'The stored sign-in was revoked.', serviceAccount: null, statusLinkExpiresAt: at },
      offboarding_confirm: { ...who, expiresAt: at },
      partner_offboarded: { ...who, offboardedAt: at, deleteAfter: at },
      attention_required: { ...who, code: 'AADSTS7000222', problem: 'The secret expired.', fix: 'Make a new one.', afterFix: 'Press Check again.', statusLinkExpiresAt: at },
      attention_reminder: { ...attention },
      secret_expiry_reminder: { ...who, secretName: 'the key of the Partner Center web app', appId: '11111111-2222-3333-4444-555555555555', endsAt: at, daysLeft: 7, steps: 'Add a key.', afterRotation: 'Give TotalOne the new value.', statusLinkExpiresAt: at },
      credential_update_link: { ...who, expiresAt: at },
      credentials_updated: { ...who, updatedAt: at, updated: ['the Partner Center web app secret'], partnerCenterSecretExpiresOn: null, resumedImport: false, statusLinkExpiresAt: at },
    };
    assert.deepEqual(Object.keys(samples).sort(), [...templateNames].sort());
    for (const name of templateNames) {
      const mail = renderMail(name, samples[name], { token: 'abc', statusKey: 'abc' }, ctx);
      assert.ok(mail.subject && mail.text && mail.html.startsWith('<!doctype html>'), name);
      for (const part of [mail.subject, mail.text, mail.html]) assert.doesNotMatch(part, /undefined|\bnull\b|\bNaN\b|Invalid Date/, name);
    }
  });
});
