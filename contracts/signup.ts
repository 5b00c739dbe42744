import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/min';
import { z } from 'zod';
import { emailAddress, linkToken, requiredText } from './common.ts';
import { isCountryCode } from './countries.ts';

// Step 1 of the partner journey. The same schemas validate in the browser and on the server.

const phoneFormat = 'Enter the phone number with its area code (for a number outside the company\u2019s country, start with + and the country code, e.g. +49 30 1234567).';

/**
 * A phone number: in international format (+ and the country code) it is checked here; otherwise
 * it is read as a number of the company's country once the country is known (signupRequestSchema).
 */
const phone = z
  .string({ error: 'Phone is required.' })
  .trim()
  .min(1, { error: 'Phone is required.' })
  .max(32, { error: 'Phone can be at most 32 characters.' })
  .transform((value, ctx) => {
    if (value.startsWith('+')) {
      const parsed = parsePhoneNumberFromString(value);
      if (parsed?.isValid()) return parsed.number; // E.164
    } else if (/^[0-9][0-9 ()./-]{3,}$/.test(value)) {
      return value; // read with the company's country below
    }
    ctx.addIssue({ code: 'custom', message: phoneFormat });
    return z.NEVER;
  });

/** The number in E.164, reading a number without + as one of `country`; undefined when it is not a valid number. */
export function phoneInCountry(value: string, country: string): string | undefined {
  if (value.startsWith('+')) return value;
  const parsed = parsePhoneNumberFromString(value, country as CountryCode);
  return parsed?.isValid() ? parsed.number : undefined;
}

const optionalWebsite = z
  .string()
  .trim()
  .max(200, { error: 'Website can be at most 200 characters.' })
  .transform((value, ctx) => {
    if (value === '') return null;
    const withScheme = /^https?:\/\//i.test(value) ? value : `https://${value}`;
    try {
      const url = new URL(withScheme);
      if (!url.hostname.includes('.')) throw new Error('no dot');
      return url.toString().replace(/\/$/, '');
    } catch {
      ctx.addIssue({ code: 'custom', message: 'Website must be an address like https://www.company.com, or left empty.' });
      return z.NEVER;
    }
  })
  .nullish()
  .transform((v) => v ?? null);

export const companySchema = z.object({
  legalName: requiredText('Legal company name', 2, 200),
  country: z
    .string({ error: 'Country is required.' })
    .trim()
    .toUpperCase()
    .refine(isCountryCode, { error: 'Choose the country from the list.' }),
  street: requiredText('Street and number', 2, 200),
  postalCode: requiredText('Postal code', 2, 16).refine((v) => /^[A-Za-z0-9][A-Za-z0-9 -]*$/.test(v), {
    error: 'Postal code may contain only letters, digits, spaces and hyphens.',
  }),
  city: requiredText('City', 1, 100),
  taxId: requiredText('VAT or tax ID', 4, 32).refine((v) => /^[A-Za-z0-9][A-Za-z0-9 .\-/]*$/.test(v), {
    error: 'VAT or tax ID may contain only letters, digits, spaces, dots, hyphens and slashes.',
  }),
  website: optionalWebsite,
  mpnId: z
    .string({ error: 'Microsoft Partner ID is required.' })
    .trim()
    .regex(/^\d{6,10}$/, { error: 'Microsoft Partner ID (MPN ID) is a number of 6 to 10 digits; find it in Partner Center under Account settings > Identifiers.' }),
  entraDomain: z
    .string({ error: 'Entra primary domain is required.' })
    .trim()
    .toLowerCase()
    .max(100, { error: 'Entra primary domain can be at most 100 characters.' })
    .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.onmicrosoft\.com$/, {
      error: 'Enter your tenant\u2019s initial domain ending in .onmicrosoft.com, e.g. contoso.onmicrosoft.com (Entra admin center > Overview).',
    }),
});

export const contactSchema = z.object({
  firstName: requiredText('First name', 1, 100),
  lastName: requiredText('Last name', 1, 100),
  jobTitle: requiredText('Job title', 2, 100),
  email: emailAddress('Email'),
  phone,
});

export const signupRequestSchema = z
  .object({
    company: companySchema,
    primaryContact: contactSchema,
    secondaryContact: contactSchema.nullish().transform((v) => v ?? null),
  })
  .superRefine((value, ctx) => {
    if (value.secondaryContact && value.secondaryContact.email === value.primaryContact.email) {
      ctx.addIssue({
        code: 'custom',
        path: ['secondaryContact', 'email'],
        message: 'The secondary contact needs an email address of its own; it cannot repeat the primary contact\u2019s.',
      });
    }
  })
  // Phone numbers without + are numbers of the company's country (the country chosen above).
  .transform((value, ctx) => {
    const normalise = <T extends { phone: string }>(contact: T, key: 'primaryContact' | 'secondaryContact'): T => {
      const e164 = phoneInCountry(contact.phone, value.company.country);
      if (!e164) ctx.addIssue({ code: 'custom', path: [key, 'phone'], message: `This is not a valid phone number in ${value.company.country}. ${phoneFormat}` });
      return { ...contact, phone: e164 ?? contact.phone };
    };
    return {
      ...value,
      primaryContact: normalise(value.primaryContact, 'primaryContact'),
      secondaryContact: value.secondaryContact ? normalise(value.secondaryContact, 'secondaryContact') : null,
    };
  });

export type SignupRequest = z.input<typeof signupRequestSchema>;
export type SignupData = z.output<typeof signupRequestSchema>;

export const emailOnlySchema = z.object({ email: emailAddress('Email') });
export const tokenOnlySchema = z.object({ token: linkToken });

export const verificationResultSchema = z.object({
  companyName: z.string(),
  signupLinkSentTo: z.string(),
  signupLinkExpiresAt: z.iso.datetime(),
});

export const signupLinkViewSchema = z.object({
  companyName: z.string(),
  reference: z.string(),
  expiresAt: z.iso.datetime(),
  /** `open`: nobody started it yet; `claimed_here`: this browser started it and may resume. */
  status: z.enum(['open', 'claimed_here']),
});
export type SignupLinkView = z.infer<typeof signupLinkViewSchema>;

export const signupSessionSchema = z.object({
  companyName: z.string(),
  reference: z.string(),
  state: z.string(),
  linkExpiresAt: z.iso.datetime(),
  claimedAt: z.iso.datetime(),
});
export type SignupSessionView = z.infer<typeof signupSessionSchema>;

export const supportRequestSchema = z.object({
  name: requiredText('Your name', 2, 100),
  email: emailAddress('Email'),
  message: requiredText('Message', 10, 5000),
  signupReference: z
    .string()
    .trim()
    .toUpperCase()
    .max(20)
    .refine((v) => v === '' || /^TO-[A-Z0-9]{4}-[A-Z0-9]{4}$/.test(v), { error: 'A signup reference looks like TO-7K3M-9QXD; leave it empty if you do not have one.' })
    .nullish()
    .transform((v) => (v ? v : null)),
});
export const supportRequestCreatedSchema = z.object({ reference: z.string(), message: z.string() });
