import { randomBytes } from 'node:crypto';
import type { SignupRequest } from '../../contracts/signup.ts';

// Valid signup data, unique per call; tests override what they exercise.

export function signupRequest(overrides: { company?: Partial<SignupRequest['company']>; primaryContact?: Partial<SignupRequest['primaryContact']>; secondaryContact?: SignupRequest['secondaryContact'] } = {}): SignupRequest {
  const id = randomBytes(4).toString('hex');
  return {
    company: {
      legalName: `Fabrikam ${id} GmbH`,
      country: 'DE',
      street: 'Friedrichstrasse 12',
      postalCode: '10117',
      city: 'Berlin',
      taxId: 'DE123456789',
      website: 'https://www.fabrikam.example',
      mpnId: '4512345',
      entraDomain: `fabrikam${id}.onmicrosoft.com`,
      ...overrides.company,
    },
    primaryContact: {
      firstName: 'Jana',
      lastName: 'Novak',
      jobTitle: 'Head of Cloud',
      email: `jana.${id}@fabrikam.example`,
      phone: '+49 30 1234567',
      ...overrides.primaryContact,
    },
    secondaryContact: overrides.secondaryContact ?? null,
  };
}

/** A secondary contact (in copy of the partner's emails), unique per call. */
export function secondaryContact(): NonNullable<SignupRequest['secondaryContact']> {
  return { firstName: 'Tom', lastName: 'Berg', jobTitle: 'CTO', email: `tom.${randomBytes(4).toString('hex')}@fabrikam.example`, phone: '+49 30 7654321' };
}

/** Pulls the token out of a link in an email (`.../verify#token=...`). */
export function linkToken(text: string, page: 'verify' | 'signup-link' | 'credentials'): string {
  const match = new RegExp(`/${page}#token=([A-Za-z0-9_-]{43})`).exec(text);
  if (!match) throw new Error(`No ${page} link in:\n${text}`);
  return match[1]!;
}
