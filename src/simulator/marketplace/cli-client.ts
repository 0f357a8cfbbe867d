import { CliError, type CliIo, exitCodes } from '../../platform/cli-io.js';

/**
 * The HTTP side of `kgd marketplace`: calls the simulator's control API and turns its errors
 * into CLI errors with the exit codes scripts rely on.
 */

const defaultSimUrl = 'http://127.0.0.1:8090';

export interface SimTarget {
  sim?: string;
  json?: boolean;
}

export function simUrl(opts: SimTarget, io: CliIo): string {
  return (opts.sim ?? io.env.KGD_SIM_URL ?? defaultSimUrl).replace(/\/+$/, '');
}

interface ErrorBody {
  /** The marketplace's control API answers an object, the others (`/sim/accounts`) a string. */
  error?: string | { message?: string; issues?: Array<{ field: string; message: string }> };
}

/** One control API call; resolves to the JSON answer. */
export function control<T>(
  base: string,
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  body?: unknown,
  timeoutMs = 120_000,
): Promise<T> {
  return simControl<T>(base, method, `/sim/marketplace${path}`, body, timeoutMs);
}

/** A call to any of the simulator's control APIs (`/sim/...`); an empty answer resolves to `{}`. */
export async function simControl<T>(
  base: string,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  timeoutMs = 120_000,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const cause = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
    throw new CliError(
      `cannot reach the marketplace simulator at ${base} (${cause}); start it or pass --sim <url> / KGD_SIM_URL`,
    );
  }
  const text = (await res.text()) || '{}';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`the simulator answered HTTP ${res.status} with a non-JSON body`);
  }
  if (res.ok) return parsed as T;
  const e = (parsed as ErrorBody).error;
  const message =
    typeof e === 'string'
      ? e
      : e?.issues?.length
        ? e.issues.map((i) => `${i.field}: ${i.message}`).join('; ')
        : (e?.message ?? `HTTP ${res.status}`);
  if (res.status === 404) throw new CliError(message, exitCodes.notFound);
  if (res.status === 400) throw new CliError(message, exitCodes.usage);
  throw new CliError(`the simulator failed: ${message}`);
}
