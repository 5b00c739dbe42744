// The OData query options the product uses: $select, $filter (eq / startswith, joined by
// `and`), $top with @odata.nextLink paging through an opaque $skiptoken.
import { graphErrors } from './errors.ts';

type GraphObject = Record<string, unknown>;

/** Properties Graph only returns when $select names them; presenters list them under this key. */
export const NON_DEFAULT = '@emulator.nonDefault';

export function applySelect(obj: GraphObject, select: string | undefined): GraphObject {
  if (!select) {
    const hidden = (obj[NON_DEFAULT] as string[] | undefined) ?? [];
    return Object.fromEntries(Object.entries(obj).filter(([k]) => k !== NON_DEFAULT && !hidden.includes(k)));
  }
  const wanted = select.split(',').map((s) => s.trim()).filter(Boolean);
  const out: GraphObject = {};
  // Items of directoryObject collections keep their @odata.type, as Graph does.
  if (obj['@odata.type']) out['@odata.type'] = obj['@odata.type'];
  for (const key of wanted) {
    const actual = Object.keys(obj).find((k) => k.toLowerCase() === key.toLowerCase());
    if (actual) out[actual] = obj[actual];
  }
  return out;
}

interface Clause {
  property: string;
  op: 'eq' | 'startswith';
  value: string | boolean | null;
}

/** Parse `a eq 'x' and startswith(b,'y') and c eq true`. */
export function parseFilter(filter: string): Clause[] {
  const clauses: Clause[] = [];
  const parts = filter.split(/\s+and\s+/i);
  for (const raw of parts) {
    const part = raw.trim();
    let m = /^startswith\(\s*([A-Za-z0-9_/]+)\s*,\s*'((?:[^']|'')*)'\s*\)$/i.exec(part);
    if (m) {
      clauses.push({ property: m[1]!, op: 'startswith', value: m[2]!.replace(/''/g, "'") });
      continue;
    }
    m = /^([A-Za-z0-9_/]+)\s+eq\s+(?:'((?:[^']|'')*)'|(true|false|null))$/i.exec(part);
    if (m) {
      const literal = m[3]?.toLowerCase();
      clauses.push({ property: m[1]!, op: 'eq', value: literal === undefined ? m[2]!.replace(/''/g, "'") : literal === 'null' ? null : literal === 'true' });
      continue;
    }
    throw graphErrors.invalidFilter(`Syntax error or unsupported expression '${part}'.`);
  }
  return clauses;
}

export function applyFilter(items: GraphObject[], filter: string | undefined, allowed: string[], typeName: string): GraphObject[] {
  if (!filter) return items;
  const clauses = parseFilter(filter);
  for (const c of clauses) {
    if (!allowed.some((a) => a.toLowerCase() === c.property.toLowerCase())) throw graphErrors.unsupportedFilter(c.property, typeName);
  }
  return items.filter((item) => clauses.every((c) => {
    const key = Object.keys(item).find((k) => k.toLowerCase() === c.property.toLowerCase());
    const actual = key ? item[key] : undefined;
    if (c.op === 'startswith') return typeof actual === 'string' && actual.toLowerCase().startsWith(String(c.value).toLowerCase());
    if (typeof actual === 'string' && typeof c.value === 'string') return actual.toLowerCase() === c.value.toLowerCase();
    return actual === c.value;
  }));
}

export interface Page {
  value: GraphObject[];
  nextLink?: string;
}

/** Slice a collection; the next link repeats the query with a $skiptoken, as Graph's does. */
export function paginate(items: GraphObject[], query: Record<string, string | undefined>, absolutePath: string, defaultTop = 100): Page {
  const top = Math.min(Math.max(Number(query.$top ?? defaultTop) || defaultTop, 1), 999);
  let offset = 0;
  if (query.$skiptoken) {
    try {
      offset = Number(JSON.parse(Buffer.from(query.$skiptoken, 'base64url').toString('utf8')).o) || 0;
    } catch {
      throw graphErrors.badRequest('The $skiptoken is malformed.');
    }
  }
  const value = items.slice(offset, offset + top);
  if (offset + top >= items.length) return { value };
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && k !== '$skiptoken') params.set(k, v);
  params.set('$skiptoken', Buffer.from(JSON.stringify({ o: offset + top })).toString('base64url'));
  return { value, nextLink: `${absolutePath}?${params.toString().replace(/%24/g, '$')}` };
}
