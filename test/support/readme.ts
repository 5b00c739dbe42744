import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

// The README's sample start-up output, and a start-up output made comparable with it: the demo's
// ports, data folder and the day-dependent expiry differ from run to run, nothing else may.

export const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

export function readmeStartupSample(): string[] {
  const section = readme.slice(readme.indexOf('## Run it'));
  const block = /```\n(TotalOne Signup is running[\s\S]*?)```/.exec(section);
  assert.ok(block, 'the README shows the start-up output');
  return block[1]!.trimEnd().split('\n');
}

export function comparableStartup(lines: string[], actual: { appUrl: string; emulatorUrl: string; catcherPort: number; dataDir: string }): string[] {
  return lines.map((line) =>
    line
      .replaceAll(actual.appUrl, 'http://127.0.0.1:3000')
      .replaceAll(actual.emulatorUrl, 'http://127.0.0.1:4010')
      .replace(`port ${actual.catcherPort})`, 'port 2525)')
      .replace(`data folder (${actual.dataDir})`, 'data folder (./data)')
      .replace(/^(  Secret expires on\s+)\d{4}-\d{2}-\d{2}/, '$1<day>'),
  );
}
