// A worker process of scripts/test.mjs: asks its parent for a test file, imports it (its tests run
// in this process, one top-level suite after another), and asks for the next once every test of the
// file has ended, until the parent has none left.
import { test } from 'node:test';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const nextFile = () =>
  new Promise((answer) => {
    process.once('message', answer);
    process.send('next');
  });

for (let file = await nextFile(); file; file = await nextFile()) {
  try {
    await import(pathToFileURL(resolve(file)).href);
  } catch (error) {
    test(`${file} loads`, () => {
      throw error;
    });
  }
  // Top-level tests run one at a time in the order they were declared: this one runs once every
  // test of the file has ended. The parent reads its name as the file's end.
  await new Promise((ended) => test(`[test file done] ${file}`, () => ended()));
}
process.disconnect();
