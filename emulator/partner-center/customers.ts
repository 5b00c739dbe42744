// Customers are computed from (seed, index) on demand: a page costs the same whether the
// partner has 250 customers or 100,000, and the same seed always yields the same customers.
import { stableBytes, stableGuid } from '../ids.ts';
import type { CustomerSource, CustomerSpec } from '../scenarios/types.ts';

const first = ['Fabrikam', 'Northwind', 'Tailspin', 'Wingtip', 'Adatum', 'Litware', 'Proseware', 'Woodgrove', 'Alpine', 'Coho', 'Lucerne', 'Margie', 'Trey', 'Wide World', 'Blue Yonder', 'Humongous', 'Graphic', 'Southridge', 'Fourth', 'Relecloud'];
const second = ['Logistics', 'Dental', 'Bakery', 'Legal', 'Engineering', 'Travel', 'Consulting', 'Media', 'Health', 'Energy', 'Retail', 'Foods', 'Motors', 'Design', 'Finance', 'Labs'];
const suffix = ['GmbH', 'Ltd', 'Inc.', 'AG', 'S.A.', 'B.V.', 'LLC', 'Oy'];

export function customerCount(source: CustomerSource): number {
  return source.kind === 'generated' ? source.count : source.customers.length;
}

export function customerAt(source: CustomerSource, index: number): CustomerSpec | undefined {
  if (index < 0 || index >= customerCount(source)) return undefined;
  if (source.kind === 'list') return source.customers[index];
  const b = stableBytes(5, source.seed, 'customer', index);
  const a = first[b[0]! % first.length]!;
  const n = second[b[1]! % second.length]!;
  const slug = `${a}${n}`.toLowerCase().replace(/[^a-z]/g, '');
  return {
    id: stableGuid(source.seed, 'customer', index),
    companyName: `${a} ${n} ${suffix[b[2]! % suffix.length]} ${String(index + 1).padStart(5, '0')}`,
    domain: `${slug}${index + 1}.onmicrosoft.com`,
    relationshipToPartner: b[3]! % 10 === 0 ? 'advisor' : 'reseller',
    // One customer in five has not allowed delegated (DAP) access.
    allowDelegatedAccess: b[4]! % 5 !== 0,
  };
}

// Generated ids are hashes, so lookup by id needs an index; it is built once per source, on first use.
const indexCache = new WeakMap<CustomerSource, Map<string, number>>();

export function findCustomer(source: CustomerSource, id: string): CustomerSpec | undefined {
  if (source.kind === 'list') return source.customers.find((c) => c.id === id);
  let index = indexCache.get(source);
  if (!index) {
    index = new Map();
    for (let i = 0; i < source.count; i++) index.set(stableGuid(source.seed, 'customer', i), i);
    indexCache.set(source, index);
  }
  const at = index.get(id.toLowerCase());
  return at === undefined ? undefined : customerAt(source, at);
}

function link(uri: string) {
  return { uri, method: 'GET', headers: [] as Array<{ key: string; value: string }> };
}

/** Partner Center's Customer resource. Link URIs are relative to the API version root, as Partner Center returns them. */
export function toCustomer(c: CustomerSpec) {
  return {
    id: c.id,
    commerceId: stableGuid(c.id, 'commerce'),
    companyProfile: {
      tenantId: c.id,
      domain: c.domain,
      companyName: c.companyName,
      links: { self: link(`/customers/${c.id}/profiles/company`) },
      attributes: { objectType: 'CustomerCompanyProfile' },
    },
    relationshipToPartner: c.relationshipToPartner,
    allowDelegatedAccess: c.allowDelegatedAccess ?? true,
    links: { self: link(`/customers/${c.id}`) },
    attributes: { objectType: 'Customer' },
  };
}

export { link };
