import { z } from 'zod';

// Building blocks shared by every contract. Every string is trimmed and bounded; messages say what
// is wrong and how to fix it, because the browser shows them next to the field.

export const requiredText = (label: string, min: number, max: number) =>
  z
    .string({ error: `${label} is required.` })
    .trim()
    .min(min, { error: min <= 1 ? `${label} is required.` : `${label} needs at least ${min} characters.` })
    .max(max, { error: `${label} can be at most ${max} characters.` })
    .refine((v) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v), { error: `${label} contains control characters; please retype it.` });

export const emailAddress = (label = 'Email') =>
  z
    .string({ error: `${label} is required.` })
    .trim()
    .toLowerCase()
    .min(1, { error: `${label} is required.` })
    .max(254, { error: `${label} can be at most 254 characters.` })
    .pipe(z.email({ error: `${label} must be a valid address, like name@company.com.` }));

/** A link token: 256 random bits in base64url (43 characters). */
export const linkToken = z
  .string({ error: 'The link token is missing.' })
  .trim()
  .regex(/^[A-Za-z0-9_-]{43}$/, { error: 'This link is incomplete or damaged. Copy the whole link from the email, or request a new one.' });

export const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    retryAfterSeconds: z.number().optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBody>;

export const acceptedBody = z.object({ status: z.literal('accepted'), message: z.string() });
export type AcceptedBody = z.infer<typeof acceptedBody>;
