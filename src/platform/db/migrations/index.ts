import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001-gateway.js';
import * as m0002 from './0002-engine.js';
import * as m0003 from './0003-operators.js';
import * as m0004 from './0004-operator-sessions.js';
import * as m0005 from './0005-alerts.js';
import * as m0006 from './0006-license-codes.js';
import * as m0007 from './0007-fencing.js';
import * as m0008 from './0008-trace-parent.js';

/** Versioned migrations, applied in name order at start by Kysely's Migrator. Append only. */
export const migrationProvider: MigrationProvider = {
  async getMigrations(): Promise<Record<string, Migration>> {
    return {
      '0001-gateway': m0001,
      '0002-engine': m0002,
      '0003-operators': m0003,
      '0004-operator-sessions': m0004,
      '0005-alerts': m0005,
      '0006-license-codes': m0006,
      '0007-fencing': m0007,
      '0008-trace-parent': m0008,
    };
  },
};
