import countries from 'i18n-iso-countries';
import english from 'i18n-iso-countries/langs/en.json' with { type: 'json' };

countries.registerLocale(english);

/** ISO 3166-1 alpha-2 countries with English names, sorted by name (for the signup form). */
export const countryOptions: ReadonlyArray<{ code: string; name: string }> = Object.entries(countries.getNames('en', { select: 'official' }))
  .map(([code, name]) => ({ code, name }))
  .sort((a, b) => a.name.localeCompare(b.name, 'en'));

const codes = new Set(countryOptions.map((c) => c.code));

export function isCountryCode(value: string): boolean {
  return codes.has(value);
}
