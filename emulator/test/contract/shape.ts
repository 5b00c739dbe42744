// Compares an emulator answer with a sample published on Microsoft Learn: every key of the sample
// is present with the same JSON type (recursively; array items against the sample's first item).
// Values are not compared (samples carry placeholders); keys the emulator adds are allowed.
import assert from 'node:assert/strict';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

export interface ShapeOptions {
  /** Paths (a.b, items[].c) the sample shows but the emulator may leave out, each with its reason. */
  optional?: Record<string, string>;
  /** Paths where the sample shows null and the emulator may send any type. Null in a sample always matches anything. */
}

export function assertShape(actual: unknown, sample: Json, options: ShapeOptions = {}, path = ''): void {
  if (sample === null) return; // a null in a sample says nothing about the type
  const where = path || '(root)';
  assert.equal(kind(actual), kind(sample), `${where}: the sample has ${kind(sample)}, the emulator ${kind(actual)} (${JSON.stringify(actual)?.slice(0, 120)})`);
  if (Array.isArray(sample)) {
    if (sample.length === 0) return;
    for (const item of actual as unknown[]) assertShape(item, sample[0]!, options, `${path}[]`);
    return;
  }
  if (typeof sample === 'object') {
    const object = actual as Record<string, unknown>;
    for (const [key, value] of Object.entries(sample)) {
      const child = path ? `${path}.${key}` : key;
      if (!(key in object)) {
        if (options.optional?.[child] !== undefined) continue;
        assert.fail(`${child}: in the Learn sample, missing from the emulator's answer`);
      }
      assertShape(object[key], value, options, child);
    }
  }
}
