import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001-gateway.js';
import * as m0002 from './0002-engine.js';
import * as m0003 from './0003-operators.js';
import * as m0004 from './0004-fencing.js';

/** Versioned migrations, applied in name order at start by Kysely's Migrator. Append only. */
export const migrationProvider: MigrationProvider = {
  async getMigrations(): Promise<Record<string, Migration>> {
    return {
      '0001-gateway': m0001,
      '0002-engine': m0002,
      '0003-operators': m0003,
      '0004-fencing': m0004,
    };
  },
};
