import { AppError } from '../../lib/errors.ts';
import { classifyIdentity, describeFailure, identityAdvice, type CredentialSource } from './microsoft.failures.ts';

// Microsoft's identity errors in plain words. The codes are Microsoft's AADSTS numbers; the
// wording (problem and the portal step that fixes it) comes from the one failure table in
// microsoft.failures.ts.

export interface Advice {
  /** What went wrong, for the partner. */
  problem: string;
  /** The exact place in Microsoft's portals that fixes it. */
  fix: string;
}

export function adviceFor(code: number | undefined, source?: CredentialSource, context: { replyAddress?: string } = {}): Advice | undefined {
  return identityAdvice(code, source, context);
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
    /** Which of the partner's credentials Microsoft refused, when the caller said so. */
    readonly source?: CredentialSource,
  ) {
    const advice = adviceFor(aadsts, source);
    const code = aadsts ? `AADSTS${aadsts}` : oauthError.toUpperCase();
    super(
      400,
      `MICROSOFT_${code}`,
      advice
        ? `${context}: ${describeFailure(classifyIdentity({ aadsts, oauthError }, source ? { source } : {}), { interactive: true })}`
        : `${context}: Microsoft answered "${firstSentence(microsoftDescription) || oauthError}".`,
      { aadsts, advice },
    );
  }
}

function firstSentence(text: string): string {
  return text.split(/\r?\n/)[0]!.replace(/Trace ID:.*$/, '').trim();
}
