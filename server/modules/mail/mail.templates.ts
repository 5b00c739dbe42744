// Email templates: each returns a subject, a plain-text part and an HTML part. Links are built from
// the configured public URL; link tokens travel in the URL fragment (after #), which browsers never
// send to a server, so they cannot end up in access logs or proxies.

export interface MailContext {
  publicUrl: string;
  supportEmail: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

type Params = Record<string, unknown>;
type Secrets = Record<string, string>;

interface Block {
  paragraphs: string[];
  button?: { label: string; url: string };
  after?: string[];
}

/**
 * Templates with typed parameters: `mail.queue` takes exactly these for them, so a missing
 * parameter is a type error where the email is queued (never the word "undefined" in an email).
 */
export type AttentionMailParams = {
  firstName: string;
  companyName: string;
  reference: string;
  /** Stable code of the finding (AADSTS7000222, PARTNER_CENTER_403, ...). */
  code: string;
  problem: string;
  fix: string;
  /** What to do in TotalOne once the fix is made in Microsoft. */
  afterFix: string;
  statusLinkExpiresAt: string;
};
export type AttentionReminderParams = AttentionMailParams & {
  /** When the finding was first sent to the primary contact. */
  openedAt: string;
  primaryContactName: string;
  primaryContactEmail: string;
};
export type SecretExpiryParams = {
  firstName: string;
  companyName: string;
  reference: string;
  /** "the key of the Partner Center web app", "the client secret of the Entra app registered for TotalOne". */
  secretName: string;
  appId: string;
  endsAt: string;
  daysLeft: number;
  /** The exact portal steps to make the new secret. */
  steps: string;
  /** How the new value reaches TotalOne. */
  afterRotation: string;
  statusLinkExpiresAt: string;
};
/** The one-time "update credentials" link (its token travels sealed, apart from these). */
export type CredentialUpdateLinkParams = {
  firstName: string;
  companyName: string;
  reference: string;
  expiresAt: string;
};
export type CredentialsUpdatedParams = {
  firstName: string;
  companyName: string;
  reference: string;
  updatedAt: string;
  /** Names of the secrets replaced ("the Partner Center web app secret", ...). */
  updated: string[];
  /** The new Partner Center secret's end (YYYY-MM-DD), when it was replaced. */
  partnerCenterSecretExpiresOn: string | null;
  /** A finding about the old secret was fixed by the new one: the import runs again. */
  resumedImport: boolean;
  statusLinkExpiresAt: string;
};
export type OffboardedParams = {
  firstName: string;
  companyName: string;
  reference: string;
  offboardedAt: string;
  /** When the customers and contacts are deleted. */
  deleteAfter: string;
};
export type OffboardingConfirmParams = {
  firstName: string;
  companyName: string;
  reference: string;
  expiresAt: string;
};
export type SyncCompletedParams = {
  firstName: string;
  companyName: string;
  reference: string;
  customerCount: number;
  completedAt: string;
  statusLinkExpiresAt: string;
};
export type SyncFailedReconnectParams = {
  firstName: string;
  companyName: string;
  reference: string;
  /** The AADSTS code Microsoft answered, when it was one. */
  aadsts: number | null;
  problem: string;
  /** The service account to sign in with, when known. */
  serviceAccount: string | null;
  statusLinkExpiresAt: string;
};
/** What the confirmation email shows (the link token travels sealed, apart from these). */
export type VerifyEmailParams = { firstName: string; companyName: string; expiresAt: string; reference?: string };
export type SignupLinkParams = { firstName: string; companyName: string; expiresAt: string; reference?: string };
export type SignupInProgressParams = { firstName: string; companyName: string; reference: string; verified: boolean };
export type CompanyAlreadyRegisteredParams = { firstName: string; entraDomain: string };
export type SignupLinkOpenedParams = { firstName: string; companyName: string; claimedAt: string };
export type SignupLinkInUseParams = { firstName: string; companyName: string; claimedAt: string; reference: string };
export type SignupNotPossibleParams = { firstName?: string };
/** `firstName` and `message` only for an address known as a partner contact. */
export type SupportRequestReceivedParams = { reference: string; firstName?: string; message?: string };
export type OperatorInviteParams = { email: string; role: 'admin' | 'support'; invitedBy: string; expiresAt: string };
export type SupportReplyParams = { firstName: string; name: string; reference: string; reply: string; originalMessage: string };

export type TypedTemplateParams = {
  verify_email: VerifyEmailParams;
  signup_link: SignupLinkParams;
  signup_in_progress: SignupInProgressParams;
  company_already_registered: CompanyAlreadyRegisteredParams;
  signup_link_opened: SignupLinkOpenedParams;
  signup_link_in_use: SignupLinkInUseParams;
  signup_not_possible: SignupNotPossibleParams;
  support_request_received: SupportRequestReceivedParams;
  operator_invite: OperatorInviteParams;
  support_reply: SupportReplyParams;
  sync_completed: SyncCompletedParams;
  sync_failed_reconnect: SyncFailedReconnectParams;
  offboarding_confirm: OffboardingConfirmParams;
  partner_offboarded: OffboardedParams;
  attention_required: AttentionMailParams;
  attention_reminder: AttentionReminderParams;
  secret_expiry_reminder: SecretExpiryParams;
  credential_update_link: CredentialUpdateLinkParams;
  credentials_updated: CredentialsUpdatedParams;
};

const templates = {
  verify_email(p: VerifyEmailParams, s: Secrets, ctx: MailContext) {
    const url = `${ctx.publicUrl}/verify#token=${s.token}`;
    return compose(`Confirm your email address for ${p.companyName}`, p, ctx, {
      paragraphs: [
        `Thank you for signing up ${p.companyName} for the TotalOne platform.`,
        'Please confirm that this address belongs to you. As the primary contact you will receive every notification about your platform account, so it has to reach you.',
      ],
      button: { label: 'Verify email', url },
      after: [
        `This confirmation link is valid until ${formatDate(p.expiresAt)}.`,
        'Once you confirm, a second email brings your personal signup link for connecting your Microsoft tenant.',
        'If you did not sign up, ignore this message: nothing happens without a confirmation.',
        ...referenceLine(p),
      ],
    });
  },

  signup_link(p: SignupLinkParams, s: Secrets, ctx: MailContext) {
    const url = `${ctx.publicUrl}/signup-link#token=${s.token}`;
    return compose(`Your one-time signup link for ${p.companyName}`, p, ctx, {
      paragraphs: [
        'Your email address is confirmed. Below is your personal signup link for connecting your Microsoft Partner Center and Entra ID tenant to TotalOne.',
        `Before you open it, finish preparing Microsoft (Step 2 of the guide, ${ctx.publicUrl}/#prepare-microsoft): the service account with Global Administrator, Admin Agent and Incentives Administrator roles and multi-factor authentication, the Partner Center web app with its secret, and the Entra app registration with its Graph permissions and admin consent.`,
      ],
      button: { label: 'Open my signup link', url },
      after: [
        `The link works once and expires on ${formatDate(p.expiresAt)} (48 hours after it was sent). After you start with it, it stays bound to that browser until the connection is complete.`,
        'We recommend opening it in a private (incognito) browser window, so that your browser does not sign you in to Microsoft with your everyday account.',
        `If the link expired or does not work, request a new one at ${ctx.publicUrl}/help or write to ${ctx.supportEmail}.`,
        ...referenceLine(p),
      ],
    });
  },

  signup_in_progress(p: SignupInProgressParams, _s: Secrets, ctx: MailContext) {
    return compose('You already have a TotalOne signup in progress', p, ctx, {
      paragraphs: [
        `Someone (probably you) just submitted the TotalOne signup form with this address. A signup for ${p.companyName} is already in progress, so we did not start a second one.`,
        p.verified
          ? 'Your email is already confirmed. If you cannot find your signup link, request a new one: the previous link stops working at once.'
          : 'Your email is not confirmed yet. Request a new confirmation email to continue where you stopped.',
      ],
      button: { label: 'Continue my signup', url: `${ctx.publicUrl}/help` },
      after: [`Questions? Write to ${ctx.supportEmail} and mention your signup reference ${p.reference}.`],
    });
  },

  company_already_registered(p: CompanyAlreadyRegisteredParams, _s: Secrets, ctx: MailContext) {
    return compose('Your company is already signing up for TotalOne', p, ctx, {
      paragraphs: [
        `We received a signup for the Entra domain ${p.entraDomain}, but that tenant already has a TotalOne signup under another contact, so we did not create a second one.`,
        'Please ask the colleague who signed up to add you, or contact our support team and we will sort it out with you.',
      ],
      button: { label: 'Contact support', url: `${ctx.publicUrl}/support` },
    });
  },

  signup_link_opened(p: SignupLinkOpenedParams, _s: Secrets, ctx: MailContext) {
    return compose('Your TotalOne signup link was just used', p, ctx, {
      paragraphs: [
        `Your signup link for ${p.companyName} was started in a browser on ${formatDate(p.claimedAt)}.`,
        'From now on it works only in that browser, until your Microsoft tenant is connected.',
        'If this was not you, contact support at once: we will cancel the link and send you a new one.',
      ],
      button: { label: 'Contact support', url: `${ctx.publicUrl}/support` },
    });
  },

  signup_link_in_use(p: SignupLinkInUseParams, _s: Secrets, ctx: MailContext) {
    return compose('Your TotalOne signup link is open in a browser', p, ctx, {
      paragraphs: [
        `Someone (probably you) asked for a new signup link for ${p.companyName}. Your current link was started in a browser on ${formatDate(p.claimedAt)} and is still connecting, so we did not replace it.`,
        'Continue in that browser: the link keeps working there until your Microsoft tenant is connected.',
        'If you cannot use that browser any more, or if this was not you, contact support: we will check and send you a new link.',
      ],
      button: { label: 'Contact support', url: `${ctx.publicUrl}/support` },
      after: [`Mention your signup reference ${p.reference}.`],
    });
  },

  signup_not_possible(_p: SignupNotPossibleParams, _s: Secrets, ctx: MailContext) {
    return compose('Your TotalOne signup', _p, ctx, {
      paragraphs: [
        'We received a TotalOne signup with this address. We cannot accept it online, so no signup was started.',
        'Please contact our support team: they will look at it with you.',
      ],
      button: { label: 'Contact support', url: `${ctx.publicUrl}/support` },
    });
  },

  support_request_received(p: SupportRequestReceivedParams, _s: Secrets, ctx: MailContext) {
    return compose(`We received your request (${p.reference})`, p, ctx, {
      paragraphs: [
        `Thank you for contacting TotalOne support. Your request has the reference ${p.reference}.`,
        'A member of our onboarding team will answer by email, usually within one business day.',
        // Quoted only to an address we know as a partner contact (the service decides).
        ...(typeof p.message === 'string' ? ['Your message:', p.message] : ['For your protection, this email does not repeat what was written in the form.']),
        'If you did not contact us, ignore this email.',
      ],
    });
  },
  sync_completed(p: SyncCompletedParams, s: Secrets, ctx: MailContext) {
    const url = `${ctx.publicUrl}/status#key=${s.statusKey}`;
    const count = p.customerCount.toLocaleString('en-US');
    return compose(`Your TotalOne tenant is ready: ${count} customers imported`, p, ctx, {
      paragraphs: [
        `The connection of ${p.companyName} to Microsoft Partner Center is complete, and we imported your customer list: ${count} customers (finished ${formatDate(p.completedAt)}).`,
        'What was imported: each customer\u2019s company name, primary domain, Microsoft tenant ID and relationship to you (reseller or advisor). No customer data beyond that list was read. We refresh the list once a day; customers that leave you are marked as removed.',
        'How to sign in: open your status page with the button below. It shows your tenant view with every imported customer, searchable by name and domain. The browser you connected with keeps access without the link.',
      ],
      button: { label: 'Open my tenant', url },
      after: [
        `This link is personal to your company and works until ${formatDate(p.statusLinkExpiresAt)}; please do not forward it.`,
        `Questions? Write to ${ctx.supportEmail} and mention your reference ${p.reference}.`,
      ],
    });
  },

  sync_failed_reconnect(p: SyncFailedReconnectParams, s: Secrets, ctx: MailContext) {
    const url = `${ctx.publicUrl}/status#key=${s.statusKey}`;
    const account = p.serviceAccount ? `the service account ${p.serviceAccount}` : 'the TotalOne service account';
    return compose(`Action needed: reconnect ${p.companyName} to TotalOne`, p, ctx, {
      paragraphs: [
        `We could not import your customers from Microsoft Partner Center: ${p.problem}`,
        'Nothing is lost: the customers imported so far stay in your tenant view, and the import runs again once you reconnect.',
        `How to reconnect: 1. Make sure ${account} can sign in (if its password was changed, have the new one and its multi-factor method at hand). 2. Open your status page with the button below and press "Send me a reconnect link": the link comes to you, the primary contact (or write to ${ctx.supportEmail} with your reference ${p.reference}). 3. In that link, sign in with Microsoft as ${account}, complete the multi-factor prompt and accept the permissions.`,
      ],
      button: { label: 'See my status', url },
      after: [`The status link works until ${formatDate(p.statusLinkExpiresAt)}.`],
    });
  },
  attention_required(p: AttentionMailParams, s: Secrets, ctx: MailContext) {
    const url = `${ctx.publicUrl}/status#key=${s.statusKey}`;
    return compose(`Action needed: ${p.companyName} must fix a setting in Microsoft`, p, ctx, {
      paragraphs: [
        `TotalOne stopped reading your customers from Microsoft, because Microsoft refused: ${p.problem}`,
        `How to fix it: ${p.fix}`,
        ...(p.afterFix ? [p.afterFix] : []),
        'Nothing is lost: the customers imported so far stay in your tenant view, and the import runs again as soon as the fix is in place. We do not retry by ourselves until then, and you do not need to sign up again.',
      ],
      button: { label: 'Open my status page', url },
      after: [
        `Microsoft's code for this: ${p.code}. The status link works until ${formatDate(p.statusLinkExpiresAt)}.`,
        `Questions? Write to ${ctx.supportEmail} and mention your reference ${p.reference}.`,
      ],
    });
  },

  attention_reminder(p: AttentionReminderParams, s: Secrets, ctx: MailContext) {
    const url = `${ctx.publicUrl}/status#key=${s.statusKey}`;
    return compose(`Still open: ${p.companyName} must fix a setting in Microsoft`, p, ctx, {
      paragraphs: [
        `You are the second contact of ${p.companyName} at TotalOne. On ${formatDate(p.openedAt)} we asked ${p.primaryContactName} (${p.primaryContactEmail}) to fix a setting in Microsoft, and it is not fixed yet, so TotalOne still cannot read your customers.`,
        `What Microsoft refused: ${p.problem}`,
        `How to fix it: ${p.fix}`,
        ...(p.afterFix ? [p.afterFix] : []),
      ],
      button: { label: 'Open the status page', url },
      after: [
        `Microsoft's code for this: ${p.code}. The status link works until ${formatDate(p.statusLinkExpiresAt)}.`,
        `Questions? Write to ${ctx.supportEmail} and mention the reference ${p.reference}.`,
      ],
    });
  },

  secret_expiry_reminder(p: SecretExpiryParams, s: Secrets, ctx: MailContext) {
    // The status page opens at its "Update credentials" part: one press emails the primary contact the one-time update link.
    const url = `${ctx.publicUrl}/status#key=${s.statusKey}&update-credentials`;
    const when = p.daysLeft === 1 ? 'tomorrow' : `in ${p.daysLeft} days`;
    return compose(`Reminder: ${p.secretName} of ${p.companyName} expires ${when}`, p, ctx, {
      paragraphs: [
        `${p.secretName.charAt(0).toUpperCase()}${p.secretName.slice(1)} (application ID ${p.appId}) that ${p.companyName} gave TotalOne expires on ${formatDate(p.endsAt)}. After that day Microsoft refuses it and TotalOne can no longer read your customers.`,
        `How to renew it before then: ${p.steps}`,
        p.afterRotation,
        'Keep the old secret until TotalOne has the new one, then delete the old one in the same place.',
      ],
      button: { label: 'Update the secret in TotalOne', url },
      after: [
        `The button opens your status page (the link works until ${formatDate(p.statusLinkExpiresAt)}); press "Email me an update link" there. If the status link has expired, ask for the update link at ${ctx.publicUrl}/help#update-credentials.`,
        `Questions? Write to ${ctx.supportEmail} and mention your reference ${p.reference}.`,
      ],
    });
  },

  credential_update_link(p: CredentialUpdateLinkParams, s: Secrets, ctx: MailContext) {
    const url = `${ctx.publicUrl}/credentials#token=${s.token}`;
    return compose(`Your one-time link to update the Microsoft secrets of ${p.companyName}`, p, ctx, {
      paragraphs: [
        `You (or someone on the status page of ${p.companyName}) asked to give TotalOne a new secret of your Microsoft apps: the Partner Center web app secret, the client secret of the Entra app registered for TotalOne, or both.`,
        'Create the new secret in the portal first and keep the old one: TotalOne checks the new one with Microsoft before it replaces the old one, and keeps using the old one until then. Delete the old secret in the portal only after TotalOne confirms the change by email.',
      ],
      button: { label: 'Update the secrets', url },
      after: [
        `The link works once, only in the browser where you start it, until ${formatDate(p.expiresAt)} (48 hours). Opening it changes nothing until you press Start on the page; asking for a new link makes this one stop working.`,
        `If you did not ask for this, ignore this email: nothing changes. Questions? Write to ${ctx.supportEmail} and mention your reference ${p.reference}.`,
      ],
    });
  },

  credentials_updated(p: CredentialsUpdatedParams, s: Secrets, ctx: MailContext) {
    const url = `${ctx.publicUrl}/status#key=${s.statusKey}`;
    const what = p.updated.length > 0 ? p.updated.join(' and ') : 'a secret of your Microsoft apps';
    return compose(`${p.companyName}: TotalOne now uses your new Microsoft secret`, p, ctx, {
      paragraphs: [
        `On ${formatDate(p.updatedAt)} the primary contact of ${p.companyName} gave TotalOne a new value for ${what}. Microsoft accepted it before it replaced the old one, and TotalOne uses only the new one from now on.`,
        ...(p.partnerCenterSecretExpiresOn ? [`The new Partner Center web app secret expires on ${p.partnerCenterSecretExpiresOn}; we remind your contacts before then.`] : []),
        ...(p.resumedImport ? ['The import of your customers had stopped because of the old secret; it runs again now.'] : []),
        'You may now delete the old secret in the portal (Partner Center > Account settings > App management > Web app, or Entra admin center > App registrations > the app > Certificates & secrets).',
      ],
      button: { label: 'Open my status page', url },
      after: [
        `The status link works until ${formatDate(p.statusLinkExpiresAt)}.`,
        `If nobody at ${p.companyName} made this change, write to ${ctx.supportEmail} at once and mention your reference ${p.reference}.`,
      ],
    });
  },

  offboarding_confirm(p: OffboardingConfirmParams, s: Secrets, ctx: MailContext) {
    const url = `${ctx.publicUrl}/offboard#token=${s.token}`;
    return compose(`Confirm: disconnect ${p.companyName} from TotalOne`, p, ctx, {
      paragraphs: [
        `Someone asked on the status page of ${p.companyName} to disconnect it from TotalOne. As the primary contact, only you can confirm it.`,
        'What happens when you confirm: TotalOne stops reading your Microsoft tenant at once, destroys every credential you gave it (the app secrets and the stored sign-in), and deletes your imported customers and contact details after the retention period. It cannot be undone: coming back means signing up again.',
      ],
      button: { label: 'Review and confirm', url },
      after: [
        `The link works once, until ${formatDate(p.expiresAt)}. Opening it changes nothing until you press the button on the page.`,
        `If you did not ask for this, ignore this email: nothing happens. Questions? Write to ${ctx.supportEmail} and mention your reference ${p.reference}.`,
      ],
    });
  },

  partner_offboarded(p: OffboardedParams, _s: Secrets, ctx: MailContext) {
    return compose(`${p.companyName} is disconnected from TotalOne`, p, ctx, {
      paragraphs: [
        `As of ${formatDate(p.offboardedAt)}, ${p.companyName} is disconnected from TotalOne: we no longer read anything from your Microsoft tenant, and every credential you gave us (the app secrets and the stored sign-in) is destroyed, so it cannot be used again by anyone.`,
        `Your imported customer list and the contact details of your company are deleted on ${formatDate(p.deleteAfter)}. The record of what happened (who did what, when) is kept, as the law asks of us.`,
        'To finish on your side, you may delete the client secrets you created for TotalOne (Entra admin center > App registrations > the app > Certificates & secrets) and remove the TotalOne service account.',
      ],
      after: [`If you did not expect this, write to ${ctx.supportEmail} right away and mention your reference ${p.reference}.`],
    });
  },

  operator_invite(p: OperatorInviteParams, s: Secrets, ctx: MailContext) {
    const url = `${ctx.publicUrl}/console/invite#token=${s.token}`;
    return compose('Your invitation to the TotalOne operator console', p, ctx, {
      paragraphs: [
        `You have been invited to the TotalOne operator console as ${p.role === 'admin' ? 'an administrator' : 'a support operator'} (${p.email}).`,
        'Open the link to choose a password and add the account to an authenticator app (for example Microsoft Authenticator); signing in needs both.',
      ],
      button: { label: 'Set up my console account', url },
      after: [
        `The link works once and is valid until ${formatDate(p.expiresAt)}.`,
        'If you did not expect this invitation, ignore this email and tell your TotalOne administrator.',
      ],
    });
  },

  support_reply(p: SupportReplyParams, _s: Secrets, ctx: MailContext) {
    return compose(`Re: your request ${p.reference}`, p, ctx, {
      // Rows written before the parameters were typed may lack a field: rendered as empty, never "undefined".
      paragraphs: [`This is the answer from the TotalOne onboarding team to your request ${p.reference}.`, String(p.reply ?? '')],
      after: ['Your original message:', String(p.originalMessage ?? ''), `To answer, reply to this email or write to ${ctx.supportEmail} and mention ${p.reference}.`],
    });
  },
} satisfies Record<string, (p: never, s: Secrets, ctx: MailContext) => RenderedMail>;

export type TemplateName = keyof typeof templates;
export const templateNames = Object.keys(templates) as TemplateName[];

export function renderMail(template: string, params: Params, secrets: Secrets, ctx: MailContext): RenderedMail {
  const render = (templates as unknown as Record<string, (p: Params, s: Secrets, c: MailContext) => RenderedMail>)[template];
  if (!render) throw new Error(`Unknown email template "${template}"`);
  return render(params, secrets, ctx);
}

/** Stands in for a link token that is no longer kept (see renderMailWithoutLinks). */
const LINK_REMOVED = '\u2060link-removed\u2060';

/**
 * The email as it was sent, from the outbox row alone: the outbox erases the sealed link tokens
 * once an email is sent, so a link that carried one is shown as removed, never rebuilt. Says
 * whether the email had such a link.
 */
export function renderMailWithoutLinks(template: string, params: Params, ctx: MailContext): RenderedMail & { linkRemoved: boolean } {
  let linkRemoved = false;
  const secrets = new Proxy({} as Secrets, {
    get: () => {
      linkRemoved = true;
      return LINK_REMOVED;
    },
  });
  const mail = renderMail(template, params, secrets, ctx);
  return { ...mail, linkRemoved };
}

/** The signup reference the support form asks for (emails queued before it was a parameter have none). */
function referenceLine(p: Params): string[] {
  return typeof p.reference === 'string' && p.reference ? [`Your signup reference: ${p.reference}. Mention it when you contact support.`] : [];
}

function compose(subject: string, p: Params, ctx: MailContext, block: Block): RenderedMail {
  const greeting = p.firstName ? `Hello ${p.firstName},` : 'Hello,';
  const linkRemoved = block.button?.url.includes(LINK_REMOVED) ?? false;
  const textParts = [greeting, '', ...block.paragraphs.flatMap((x) => [x, ''])];
  if (block.button) textParts.push(linkRemoved ? `${block.button.label}: [link removed: its one-time secret is erased once the email is sent]` : `${block.button.label}: ${block.button.url}`, '');
  for (const line of block.after ?? []) textParts.push(line, '');
  textParts.push('The TotalOne onboarding team', `${ctx.publicUrl} · ${ctx.supportEmail}`);

  const button = !block.button
    ? ''
    : linkRemoved
      ? `<p style="margin:28px 0;padding:12px 16px;border:1px dashed #8a94a3;border-radius:6px;color:#444"><strong>${escapeHtml(block.button.label)}</strong>: link removed. Its one-time secret is erased once the email is sent, so it cannot be shown again.</p>`
      : `<p style="margin:28px 0"><a href="${escapeHtml(block.button.url)}" style="background:#0b5cad;color:#ffffff;padding:12px 22px;border-radius:6px;text-decoration:none;font-weight:600;display:inline-block">${escapeHtml(block.button.label)}</a></p>
<p style="font-size:13px;color:#555">If the button does not work, copy this address into your browser:<br><span style="word-break:break-all">${escapeHtml(block.button.url)}</span></p>`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body style="margin:0;background:#f3f5f8;font-family:Segoe UI,Arial,sans-serif;color:#1b1f24">
<div style="max-width:560px;margin:0 auto;padding:32px 24px;background:#ffffff">
<p style="font-size:20px;font-weight:700;color:#0b5cad;margin:0 0 24px">TotalOne</p>
<p>${escapeHtml(greeting)}</p>
${block.paragraphs.map((x) => htmlParagraphs(x)).join('\n')}
${button}
${(block.after ?? []).map((x) => htmlParagraphs(x, ' style="font-size:14px"')).join('\n')}
<p style="margin-top:32px;font-size:13px;color:#555">The TotalOne onboarding team · ${escapeHtml(ctx.supportEmail)}</p>
</div></body></html>`;
  return { subject, text: textParts.join('\n'), html };
}

/**
 * One paragraph of the text part as HTML: text someone typed (a support reply, a quoted message)
 * keeps its blank lines as paragraphs and its single line breaks as breaks.
 */
function htmlParagraphs(text: string, attributes = ''): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n+/)
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => `<p${attributes}>${escapeHtml(part).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function formatDate(value: unknown): string {
  const date = new Date(String(value));
  if (Number.isNaN(date.getTime())) return String(value);
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
