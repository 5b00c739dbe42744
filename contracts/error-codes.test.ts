import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { apiErrorCodes } from './error-codes.ts';

// The server's error codes, read from its source: a literal given to an error's constructor
// (`new ConflictError('CODE', ...)`, `new AppError(409, 'CODE', ...)`, `super('CODE', ...)`), one
// through a constant of the same file, answers written by hand (`error: { code: 'CODE' }`) and the
// framework's errors mapped to ours (`{ status: 413, code: 'CODE' }`).
function serverCodes(): Map<string, string> {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) files.push(path);
    }
  };
  walk('server');
  const found = new Map<string, string>();
  const code = '([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)';
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    const constants = new Map([...source.matchAll(new RegExp(`const (\\w+) = '${code}'`, 'g'))].map((m) => [m[1]!, m[2]!]));
    for (const m of source.matchAll(new RegExp(`(?:[A-Za-z]*Error\\(|super\\()\\s*(?:\\d+\\s*,\\s*)?(?:'${code}'|(\\w+)\\s*,)`, 'g'))) {
      const value = m[1] ?? constants.get(m[2] ?? '');
      if (value) found.set(value, file);
    }
    for (const m of source.matchAll(new RegExp(`(?:error:\\s*\\{|status:\\s*\\d+,)\\s*code:\\s*'${code}'`, 'g'))) found.set(m[1]!, file);
  }
  return found;
}

test('every error code the server throws is listed in contracts/error-codes.ts, and every listed code is thrown', () => {
  const thrown = serverCodes();
  const listed = new Set<string>(apiErrorCodes);
  const unlisted = [...thrown].filter(([code]) => !listed.has(code)).map(([code, file]) => `${code} (${file})`);
  assert.deepEqual(unlisted, [], 'codes the server throws that the browser does not know: add them to contracts/error-codes.ts');
  const stale = [...listed].filter((code) => !thrown.has(code));
  assert.deepEqual(stale, [], 'listed codes the server no longer throws: remove them from contracts/error-codes.ts');
  assert.equal(listed.size, apiErrorCodes.length, 'no code listed twice');
});
