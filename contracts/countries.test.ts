import assert from 'node:assert/strict';
import { test } from 'node:test';
import countries from 'i18n-iso-countries';
import english from 'i18n-iso-countries/langs/en.json' with { type: 'json' };
import { countryOptions, isCountryCode } from './countries.ts';

test('the country list is i18n-iso-countries official English names, sorted by name', () => {
  countries.registerLocale(english);
  const expected = Object.entries(countries.getNames('en', { select: 'official' }))
    .map(([code, name]) => ({ code, name }))
    .sort((a, b) => a.name.localeCompare(b.name, 'en'));
  assert.deepEqual(countryOptions, expected);
  assert.equal(isCountryCode('DE'), true);
  assert.equal(isCountryCode('XX'), false);
});
