import { zodResolver } from '@hookform/resolvers/zod';
import { emailOnlySchema, signupRequestSchema, supportRequestSchema } from '../../../contracts/signup.ts';

// The partner forms' checks: the contracts' schemas (zod, the phone metadata). Pages load this
// module when a form is first used (components/lazyResolver.ts), so it is not part of a first visit.
export const signupResolver = zodResolver(signupRequestSchema);
export const emailOnlyResolver = zodResolver(emailOnlySchema);
export const supportRequestResolver = zodResolver(supportRequestSchema);
