import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signupRequestSchema, type SignupRequest } from './signup.ts';

const request = (country: string, phone: string, secondaryPhone?: string): SignupRequest => ({
  company: { legalName: 'Fabrikam GmbH', country, street: 'Friedrichstrasse 12', postalCode: '10117', city: 'Berlin', taxId: 'DE123456789', website: '', mpnId: '4512345', entraDomain: 'fabrikam.onmicrosoft.com' },
  primaryContact: { firstName: 'Jana', lastName: 'Novak', jobTitle: 'Head of Cloud', email: 'jana@fabrikam.example', phone },
  secondaryContact: secondaryPhone ? { firstName: 'Tom', lastName: 'Ruiz', jobTitle: 'IT lead', email: 'tom@fabrikam.example', phone: secondaryPhone } : null,
});

const phoneIssues = (input: SignupRequest) => {
  const result = signupRequestSchema.safeParse(input);
  return result.success ? [] : result.error.issues.filter((issue) => issue.path.at(-1) === 'phone').map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe('signup phone numbers', () => {
  it('a number without + is read as one of the company\u2019s country', () => {
    const parsed = signupRequestSchema.parse(request('DE', '030 1234567', '+34 612 345 678'));
    assert.equal(parsed.primaryContact.phone, '+49301234567');
    assert.equal(parsed.secondaryContact?.phone, '+34612345678', 'a number with + keeps its own country');
    assert.equal(signupRequestSchema.parse(request('GB', '020 7946 0018')).primaryContact.phone, '+442079460018');
  });

  it('says at the field when the number is not valid for the country, or not a number at all', () => {
    assert.match(phoneIssues(request('DE', '12'))[0]!, /^primaryContact\.phone: Enter the phone number with its area code/);
    assert.match(phoneIssues(request('DE', '0000 000'))[0]!, /^primaryContact\.phone: This is not a valid phone number in DE\./);
    assert.match(phoneIssues(request('DE', '030 1234567', '0000 000'))[0]!, /^secondaryContact\.phone: /);
    assert.match(phoneIssues(request('DE', '+99 123'))[0]!, /start with \+ and the country code/);
  });
});
