// HTML of the sign-in experience. Plain forms that work without JavaScript, with labels and
// buttons named as a user (or a Playwright test) would look for them; no inline styles.

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export const STYLESHEET_PATH = '/_emulator/assets/sign-in.css';

export const STYLESHEET = `
body { font-family: "Segoe UI", system-ui, sans-serif; background: #f2f2f2; margin: 0; }
main { max-width: 440px; margin: 48px auto; background: #fff; padding: 44px; box-shadow: 0 2px 6px rgba(0,0,0,.2); }
h1 { font-size: 1.5rem; font-weight: 600; margin: 0 0 16px; }
label { display: block; margin: 16px 0 4px; }
input[type=text], input[type=email], input[type=password] { width: 100%; box-sizing: border-box; padding: 6px; font-size: 1rem; }
.actions { margin-top: 24px; display: flex; gap: 8px; justify-content: flex-end; }
button { padding: 6px 20px; font-size: 1rem; border: 1px solid #0067b8; background: #fff; color: #0067b8; cursor: pointer; }
button.primary { background: #0067b8; color: #fff; }
.error { color: #e81123; margin: 8px 0; }
.banner { font-size: .8rem; color: #555; margin-top: 24px; }
ul.permissions li { margin: 6px 0; }
`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<main>
${body}
<p class="banner">Microsoft sign-in emulator (TotalOne Signup). No real Microsoft account is involved.</p>
</main>
</body>
</html>`;
}

function errorParagraph(error?: string): string {
  return error ? `<p class="error" role="alert" id="error">${escapeHtml(error)}</p>` : '';
}

export interface SignInPageInput {
  action: string;
  ctx: string;
  appName: string;
  username?: string;
  error?: string;
}

export function signInPage(p: SignInPageInput): string {
  return layout('Sign in to your account', `
<h1>Sign in</h1>
<p>to continue to ${escapeHtml(p.appName)}</p>
${errorParagraph(p.error)}
<form method="post" action="${escapeHtml(p.action)}"${p.error ? ' aria-describedby="error"' : ''}>
<input type="hidden" name="ctx" value="${escapeHtml(p.ctx)}">
<label for="loginfmt">Email or username</label>
<input type="email" id="loginfmt" name="loginfmt" autocomplete="username" required value="${escapeHtml(p.username ?? '')}">
<label for="passwd">Password</label>
<input type="password" id="passwd" name="passwd" autocomplete="current-password" required>
<div class="actions"><button type="submit" class="primary">Sign in</button></div>
</form>`);
}

export interface MfaPageInput {
  action: string;
  ctx: string;
  upn: string;
  method: 'totp' | 'approve';
  error?: string;
}

export function mfaPage(p: MfaPageInput): string {
  const body = p.method === 'totp'
    ? `<p>Enter the code displayed in the authenticator app on your mobile device.</p>
<label for="otc">Code</label>
<input type="text" id="otc" name="otc" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code" required>
<div class="actions"><button type="submit" name="action" value="verify" class="primary">Verify</button></div>`
    : `<p>Approve the sign-in request in your authenticator app.</p>
<div class="actions"><button type="submit" name="action" value="deny">Deny</button><button type="submit" name="action" value="approve" class="primary">Approve</button></div>`;
  return layout('Verify your identity', `
<h1>Verify your identity</h1>
<p>${escapeHtml(p.upn)}</p>
${errorParagraph(p.error)}
<form method="post" action="${escapeHtml(p.action)}">
<input type="hidden" name="ctx" value="${escapeHtml(p.ctx)}">
${body}
</form>`);
}

export interface ConsentPermission {
  resourceName: string;
  value: string;
  description: string;
}

export interface ConsentPageInput {
  action: string;
  ctx: string;
  appName: string;
  upn: string;
  permissions: ConsentPermission[];
  offerOrganizationConsent: boolean;
}

export function consentPage(p: ConsentPageInput): string {
  const items = p.permissions
    .map((perm) => `<li><strong>${escapeHtml(perm.description)}</strong> (${escapeHtml(perm.resourceName)}: ${escapeHtml(perm.value)})</li>`)
    .join('\n');
  const orgConsent = p.offerOrganizationConsent
    ? `<p><input type="checkbox" id="consent_org" name="consent_org" value="on"> <label for="consent_org">Consent on behalf of your organization</label></p>`
    : '';
  return layout('Permissions requested', `
<h1>Permissions requested</h1>
<p>${escapeHtml(p.upn)}</p>
<p><strong>${escapeHtml(p.appName)}</strong> would like to:</p>
<ul class="permissions">
${items}
</ul>
<form method="post" action="${escapeHtml(p.action)}">
<input type="hidden" name="ctx" value="${escapeHtml(p.ctx)}">
${orgConsent}
<p>Accepting these permissions means that you allow this app to use your data as specified in their terms of service and privacy statement.</p>
<div class="actions"><button type="submit" name="action" value="cancel">Cancel</button><button type="submit" name="action" value="accept" class="primary">Accept</button></div>
</form>`);
}

export interface ErrorPageInput {
  code: number;
  message: string;
  requestId: string;
  correlationId: string;
  timestamp: string;
}

export function errorPage(p: ErrorPageInput): string {
  return layout('Sign in', `
<h1>Sign in</h1>
<p>Sorry, but we're having trouble signing you in.</p>
<p class="error" role="alert">AADSTS${p.code}: ${escapeHtml(p.message)}</p>
<dl>
<dt>Request Id</dt><dd>${escapeHtml(p.requestId)}</dd>
<dt>Correlation Id</dt><dd>${escapeHtml(p.correlationId)}</dd>
<dt>Timestamp</dt><dd>${escapeHtml(p.timestamp)}</dd>
</dl>`);
}

/** response_mode=form_post: the browser posts the result to the app; the button covers no-JS. */
export function formPostPage(redirectUri: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Working...</title></head>
<body>
<form method="post" name="hiddenform" action="${escapeHtml(redirectUri)}">
${inputs}
<noscript><p>Script is disabled. Click Submit to continue.</p><button type="submit">Submit</button></noscript>
</form>
<script>document.forms[0].submit();</script>
</body></html>`;
}
