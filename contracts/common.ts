import { z } from 'zod';

// Building blocks shared by every contract. Every string is trimmed and bounded; messages say what
// is wrong and how to fix it, because the browser shows them next to the field.

/**
 * Text the database and the outbox can store: no NUL (PostgreSQL refuses 0x00 in text) and no lone
 * UTF-16 surrogate (half an emoji: not valid UTF-8, refused in JSON columns). Every text field of
 * every request is checked; the HTTP layer refuses what a schema let through as a last resort.
 */
const unstorable = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const isStorableText = (value: string): boolean => !unstorable.test(value);
export const unstorableMessage = (label: string) => `${label} contains a character that cannot be stored (a NUL byte or half of an emoji); please retype it.`;

/** Free text such as a search box or a filter: trimmed, bounded, storable; may be empty. */
export const searchText = (label: string, max: number) =>
  z
    .string({ error: `${label} must be text.` })
    .trim()
    .max(max, { error: `${label} can be at most ${max} characters.` })
    .refine(isStorableText, { error: unstorableMessage(label) });

export const requiredText = (label: string, min: number, max: number) =>
  z
    .string({ error: `${label} is required.` })
    .trim()
    .min(min, { error: min <= 1 ? `${label} is required.` : `${label} needs at least ${min} characters.` })
    .max(max, { error: `${label} can be at most ${max} characters.` })
    .refine((v) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v), { error: `${label} contains control characters; please retype it.` })
    .refine(isStorableText, { error: unstorableMessage(label) });

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
