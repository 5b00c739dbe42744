import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

// What the partner reads says the same thing everywhere: one path to Partner Center's apps, no
// step numbers the on-site checklist does not show, no doubled words in the demo's app names.

const root = join(import.meta.dirname, '..', '..');
function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return /\.(ts|tsx)$/.test(name) && !name.endsWith('.test.ts') ? [path] : [];
  });
}
const files = ['web/src', 'server/modules', 'contracts', 'emulator/scenarios'].flatMap(sources).map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));
const found = (pattern: RegExp, where = files) => where.filter((f) => pattern.test(f.text)).map((f) => f.path);
/** What partners and operators read (the emulator's scenario notes cite the original guide's numbers). */
const productFiles = files
  .filter((f) => !f.path.startsWith('emulator/'))
  // Comments are for developers; only what the product says counts here.
  .map((f) => ({ ...f, text: f.text.split('\n').filter((line) => !/^\s*(\/\/|\/\*|\*)/.test(line)).join('\n') }));

describe('wording', () => {
  it('Partner Center\u2019s apps are always under Account settings > App management', () => {
    assert.deepEqual(found(/Settings, then App management/), []);
    assert.deepEqual(found(/Partner Center > (?!gear icon > )(?!Account settings)[A-Z][a-z]+ > App management/), []);
  });

  it('no guide step numbers (the checklist has none); the guide\u2019s Steps are 1 to 3', () => {
    assert.deepEqual(found(/guide step \d+\.\d+|steps? 2\.\d+/i, productFiles), []);
  });

  it('the support form\u2019s promise holds: the confirmation and signup link emails carry the reference', () => {
    const templates = files.find((f) => f.path.endsWith('mail.templates.ts'))!.text;
    assert.equal((templates.match(/\.\.\.referenceLine\(p\)/g) ?? []).length, 2);
  });

  it('the demo\u2019s apps are not named "Partner Partner Center"', () => {
    assert.deepEqual(found(/Partner'\} Partner Center/), []);
  });
});
