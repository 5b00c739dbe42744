import { AppError } from '../../lib/errors.ts';

// Microsoft's identity errors in plain words, each with the portal step that fixes it. The codes
// are Microsoft's AADSTS numbers; the wording is ours.

export interface Advice {
  /** What went wrong, for the partner. */
  problem: string;
  /** The exact place in Microsoft's portals that fixes it. */
  fix: string;
}

const adviceByCode: Record<number, Advice> = {
  7000215: {
    problem: 'Microsoft did not accept the client secret.',
    fix: 'Often the secret\u2019s ID was copied instead of its value. In the Entra admin center open App registrations > your app > Certificates & secrets, create a new client secret and copy the Value column right away (it is shown only once).',
  },
  7000222: {
    problem: 'The client secret has expired.',
    fix: 'Create a new secret: Entra admin center > App registrations > your app > Certificates & secrets > New client secret (for the Partner Center web app: Partner Center > Account settings > App management > Add key), then enter the new value here.',
  },
  700016: {
    problem: 'No application with this ID exists in the tenant.',
    fix: 'Check the ID: in the Entra admin center open App registrations and copy "Application (client) ID" from the app\u2019s Overview page. Make sure you entered the tenant this app belongs to.',
  },
  90002: {
    problem: 'Microsoft does not know this tenant.',
    fix: 'Enter your tenant\u2019s primary domain (e.g. contoso.onmicrosoft.com) or its Tenant ID from the Entra admin center > Overview.',
  },
  65001: {
    problem: 'The application has not been granted consent for the permissions it asks for.',
    fix: 'In the Entra admin center open App registrations > your app > API permissions and press "Grant admin consent for <your organization>".',
  },
  50126: {
    problem: 'The user name or password is wrong.',
    fix: 'Sign in with the service account created in Step 2 (e.g. total.one@yourdomain.onmicrosoft.com) and its current password.',
  },
  50076: {
    problem: 'Your organization requires multi-factor authentication for this sign-in.',
    fix: 'Sign in again and complete the multi-factor prompt (Microsoft Authenticator, SMS or a code).',
  },
  50011: {
    problem: 'The reply address of this sign-in is not registered on the application.',
    fix: 'Contact TotalOne support: the reply URL shown in the error must be added to the app under Authentication > Redirect URIs.',
  },
  700082: {
    problem: 'The stored sign-in expired because it was not used for 90 days.',
    fix: 'Reconnect: sign in again with the service account from your TotalOne status page.',
  },
  50173: {
    problem: 'The stored sign-in was revoked, usually because the service account\u2019s password changed.',
    fix: 'Reconnect: sign in again with the service account and its new password from your TotalOne status page.',
  },
  53003: {
    problem: 'A Conditional Access policy in your tenant blocked this sign-in.',
    fix: 'In the Entra admin center > Protection > Conditional Access, allow the service account to sign in to the TotalOne apps (for example exclude it from the blocking policy), then try again.',
  },
  50034: {
    problem: 'This user account does not exist in the tenant.',
    fix: 'Check the user name of the service account in the Microsoft 365 admin center > Users > Active users.',
  },
  50057: {
    problem: 'The service account is disabled.',
    fix: 'Enable sign-in for the account in the Microsoft 365 admin center > Users > Active users > the account > Block sign-in (turn it off).',
  },
  900421: {
    problem: 'Partner Center refused the request because the sign-in did not use multi-factor authentication.',
    fix: 'Enforce MFA for the service account (Conditional Access policy or per-user MFA), sign in again and complete the MFA prompt.',
  },
};

export function adviceFor(code: number | undefined): Advice | undefined {
  return code === undefined ? undefined : adviceByCode[code];
}

/** `AADSTS7000215: Invalid client secret...` -> 7000215 */
export function aadstsCode(description: string | undefined, codes?: unknown): number | undefined {
  if (Array.isArray(codes) && typeof codes[0] === 'number') return codes[0];
  const match = /AADSTS(\d+)/.exec(description ?? '');
  return match ? Number(match[1]) : undefined;
}

/** A refusal by Microsoft's identity platform, with our explanation attached. */
export class MicrosoftIdentityError extends AppError {
  constructor(
    readonly aadsts: number | undefined,
    readonly oauthError: string,
    readonly microsoftDescription: string,
    context: string,
  ) {
    const advice = adviceFor(aadsts);
    const code = aadsts ? `AADSTS${aadsts}` : oauthError.toUpperCase();
    super(
      400,
      `MICROSOFT_${code}`,
      advice ? `${context}: ${advice.problem} ${advice.fix}` : `${context}: Microsoft answered "${firstSentence(microsoftDescription) || oauthError}".`,
      { aadsts, advice },
    );
  }
}

function firstSentence(text: string): string {
  return text.split(/\r?\n/)[0]!.replace(/Trace ID:.*$/, '').trim();
}
