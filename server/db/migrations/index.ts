import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_foundation.ts';

// Listed by hand (not read from the folder) so bundling and tests see exactly the same set.
const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
