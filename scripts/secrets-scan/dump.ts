import { execFileSync, spawn } from 'node:child_process';
import type pg from 'pg';

/**
 * A text dump of the whole database (the project's tables and DBOS's `dbos` schema, where step
 * outputs and workflow inputs are checkpointed). `pg_dump` when its major version can dump the
 * server; otherwise every table through `psql`'s `COPY ... TO STDOUT`, which is exactly what
 * pg_dump emits for table data. The embedded server is PostgreSQL 18 and Debian 12 ships client
 * 15, whose pg_dump refuses newer servers; psql's COPY works across versions.
 *
 * The password goes to the tools through PGPASSWORD, never on a command line (where `ps` and
 * error messages would show it). The dump stays in memory: if it holds a leaked secret, writing
 * it to disk would be one more copy.
 */
export interface Dump {
  /** How it was made and why, for the report. */
  method: string;
  data: Buffer;
}

export async function dumpDatabase(url: string, client: pg.Client): Promise<Dump> {
  const env = libpqEnv(url);
  const { rows: version } = await client.query<{ v: string }>(
    "SELECT current_setting('server_version_num') AS v",
  );
  const server = Number(version[0]!.v);
  const serverMajor = Math.floor(server / 10000);
  const pgDump = toolMajor('pg_dump');
  if (pgDump !== undefined && pgDump >= serverMajor) {
    const data = await run('pg_dump', ['--no-password'], env);
    return { method: `pg_dump ${pgDump} (server ${serverMajor})`, data };
  }
  const psql = toolMajor('psql');
  if (psql === undefined) {
    throw new Error(
      `cannot dump the database: pg_dump ${pgDump ?? 'missing'} cannot dump PostgreSQL ${serverMajor} and psql is missing (apt-get install -y postgresql-client)`,
    );
  }
  const { rows } = await client.query<{ name: string }>(
    `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg_toast%'
      ORDER BY 1`,
  );
  const script = rows.map((r) => `\\echo '-- table ${r.name}'\nCOPY ${r.name} TO STDOUT;`);
  const { rows: lo } = await client.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM pg_largeobject_metadata',
  );
  if (lo[0]!.n > 0) {
    script.push(
      "\\echo '-- large objects'\nCOPY (SELECT oid, lo_get(oid) FROM pg_largeobject_metadata) TO STDOUT;",
    );
  }
  const data = await run(
    'psql',
    ['--no-password', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', '-'],
    env,
    `${script.join('\n')}\n`,
  );
  return {
    method: `COPY of ${rows.length} tables${lo[0]!.n ? ` and ${lo[0]!.n} large objects` : ''} through psql ${psql} (pg_dump ${pgDump ?? 'missing'} refuses server ${serverMajor})`,
    data,
  };
}

/** libpq's environment for a postgresql:// URL, including the socket directory in `?host=`. */
function libpqEnv(url: string): Record<string, string> {
  const u = new URL(url);
  const env: Record<string, string> = {
    PGHOST: u.searchParams.get('host') ?? u.hostname,
    PGUSER: decodeURIComponent(u.username),
    PGDATABASE: decodeURIComponent(u.pathname.slice(1)),
  };
  if (u.port) env.PGPORT = u.port;
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  const sslmode = u.searchParams.get('sslmode');
  if (sslmode) env.PGSSLMODE = sslmode;
  return env;
}

function toolMajor(tool: string): number | undefined {
  try {
    const out = execFileSync(tool, ['--version'], { encoding: 'utf8' });
    const m = /(\d+)(?:\.\d+)?/.exec(out.replace(/^[^)]*\)/, ''));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function run(
  command: string,
  args: string[],
  env: Record<string, string>,
  stdin?: string,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out))
        : reject(new Error(`${command} exited with ${code}: ${err.trim().slice(0, 500)}`)),
    );
    child.stdin.end(stdin ?? '');
  });
}
