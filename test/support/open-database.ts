// A second process opening a PGlite data folder, for test/integration/database.test.ts: prints
// OPENED, or REFUSED and why.
import { openDatabase } from '../../server/db/database.ts';

try {
  const database = await openDatabase({ dataDir: process.argv[2]! });
  await database.close();
  console.log('OPENED');
} catch (error) {
  console.log(`REFUSED: ${(error as Error).message}`);
}
