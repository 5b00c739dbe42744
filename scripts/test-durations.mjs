// A test reporter for scripts/test.mjs: how long each test file's tests took (milliseconds, the sum
// of its top-level suites), as JSON keyed by the file's path. The next run starts the longest first.
import { relative } from 'node:path';

export default async function* durations(source) {
  const byFile = {};
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0 && event.data.file) {
      const file = relative(process.cwd(), event.data.file);
      byFile[file] = Math.round((byFile[file] ?? 0) + (event.data.details?.duration_ms ?? 0));
    }
  }
  yield JSON.stringify(byFile);
}
