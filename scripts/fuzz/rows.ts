import pg from 'pg';

/**
 * Row accounting in the service's own database. "Written" means inserted or updated: a row whose
 * `xmin` (the transaction that wrote its current version) is newer than a mark taken before a
 * phase. Unlike row counts, this is blind neither to an insert hidden by the replay guard's purge
 * nor to an update of an existing row.
 */
const projectTables = [
  'instances',
  'operations',
  'inbox',
  'replay_guard',
  'licenses',
  'operation_logs',
] as const;
type ProjectTable = (typeof projectTables)[number];

export type RowCounts = Record<ProjectTable, number>;

export interface RowProbe {
  /** A transaction id: rows written after this call have a newer xmin. */
  mark(): Promise<bigint>;
  writtenSince(mark: bigint): Promise<RowCounts>;
  counts(): Promise<RowCounts>;
  /** Operations the engine still has to finish (pending or running). */
  openOperations(): Promise<number>;
  /** The result codes stored in inbox rows written since `mark`. */
  storedCodesSince(mark: bigint): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** The xmin of a row as a 64-bit-comparable number (a fresh database never wraps around). */
const xmin = `(xmin::text)::bigint`;

export async function openRowProbe(databaseUrl: string): Promise<RowProbe> {
  const client = new pg.Client({ connectionString: databaseUrl });
  // The service stops its embedded PostgreSQL on exit: a late termination notice is no error.
  client.on('error', () => {});
  await client.connect();
  const perTable = async (query: (table: ProjectTable) => string, args: unknown[] = []) => {
    const out = {} as RowCounts;
    for (const t of projectTables) {
      const { rows } = await client.query<{ n: string }>(query(t), args);
      out[t] = Number(rows[0]!.n);
    }
    return out;
  };
  return {
    async mark() {
      // txid_current() is 64-bit (epoch << 32 | xid); xmin is the 32-bit xid alone.
      const { rows } = await client.query<{ x: string }>(
        'SELECT (txid_current() % 4294967296)::text AS x',
      );
      return BigInt(rows[0]!.x);
    },
    writtenSince: (mark) =>
      perTable((t) => `SELECT count(*) AS n FROM ${t} WHERE ${xmin} > $1`, [mark.toString()]),
    counts: () => perTable((t) => `SELECT count(*) AS n FROM ${t}`),
    async openOperations() {
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM operations WHERE status IN ('pending', 'running')`,
      );
      return Number(rows[0]!.n);
    },
    async storedCodesSince(mark) {
      const { rows } = await client.query<{ code: string; n: string }>(
        `SELECT result_code AS code, count(*) AS n FROM inbox WHERE ${xmin} > $1 GROUP BY 1`,
        [mark.toString()],
      );
      return Object.fromEntries(rows.map((r) => [r.code, Number(r.n)]));
    },
    close: () => client.end(),
  };
}
