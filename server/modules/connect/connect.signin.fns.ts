import { aadstsCode } from '../microsoft/microsoft.errors.ts';
import { classifyIdentity, describeFailure } from '../microsoft/microsoft.failures.ts';

// Microsoft's answer to the sign-in, when it carries no code: what most likely happened, in words
// a partner admin understands, with the fix. Microsoft sends `error` and `error_description` (with
// its AADSTS number) to the reply address; the texts come from the one failure table
// (microsoft.failures.ts), told that this was the service account's interactive sign-in.

export interface SignInRefusal {
  code: string;
  message: string;
}

export function explainMissingCode(params: URLSearchParams, replyAddress: string): SignInRefusal {
  const error = params.get('error');
  if (!error) {
    return {
      code: 'NO_ANSWER',
      message:
        'Microsoft sent you back without a sign-in answer. This happens when the sign-in page was left half-way or opened from an old link. Press "Sign in with Microsoft" again and finish all of Microsoft\u2019s pages (password, second factor, permissions).',
    };
  }
  const description = params.get('error_description') ?? '';
  // access_denied without a number: the user pressed Cancel on the consent page.
  const aadsts = aadstsCode(description) ?? (error === 'access_denied' ? 65004 : undefined);
  const failure = classifyIdentity({ aadsts, oauthError: error, description }, { source: 'service_account', replyAddress });
  const code = aadstsCode(description) === undefined && error === 'access_denied' ? 'ACCESS_DENIED' : failure.code;
  if (failure.kind === 'operator_action') {
    // Not in the table: Microsoft's own first line, without its trace ids.
    const said = description.split('\n')[0]?.replace(/Trace ID:.*$/, '').trim() || error;
    return { code, message: `Microsoft ended the sign-in: ${said}. Press "Sign in with Microsoft" again; if it happens again, contact support with this message.` };
  }
  return { code, message: describeFailure(failure, { interactive: true }) };
}
