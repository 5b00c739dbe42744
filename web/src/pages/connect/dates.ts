// The Partner Center secret's expiry is a calendar day. The server may send it as YYYY-MM-DD or as
// a JavaScript date text ("Wed Oct 25 2028 00:00:00 GMT+0100 ..."); either way the day written in
// it is the day meant, whatever the time zones of server and browser.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2028-10-25", or undefined when no day can be read. */
export function isoDay(value: string): string | undefined {
  const iso = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (iso) return `${iso[1]}-${iso[2]}-${iso[3]}`;
  const text = /^(?:[A-Z][a-z]{2} )?([A-Z][a-z]{2}) (\d{1,2}) (\d{4})/.exec(value);
  const month = text ? MONTHS.indexOf(text[1]!) : -1;
  if (!text || month < 0) return undefined;
  return `${text[3]}-${String(month + 1).padStart(2, '0')}-${text[2]!.padStart(2, '0')}`;
}

const dayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/** "25 October 2028" in the reader's language; the value itself when no day can be read. */
export function formatDay(value: string): string {
  const day = isoDay(value);
  return day ? dayFormat.format(new Date(`${day}T00:00:00Z`)) : value;
}
