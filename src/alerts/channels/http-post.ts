import { Permanent, Retryable } from '../../platform/errors.js';

export type FetchFn = typeof fetch;

/**
 * POSTs a JSON body and classifies the outcome once: a network failure, timeout, 429 or 5xx is
 * `Retryable` (with the receiver's Retry-After), any other non-2xx `Permanent`. Messages name the
 * channel, never the URL, which for the group robots carries the access token.
 */
export async function postJson(
  fetchFn: FetchFn,
  channel: string,
  url: string,
  body: string,
  options: { headers?: Record<string, string>; signal?: AbortSignal | undefined } = {},
): Promise<unknown> {
  let res: Response;
  try {
    res = await fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...options.headers },
      body,
      signal: options.signal ?? AbortSignal.timeout(10_000),
    });
  } catch (cause) {
    throw new Retryable(`channel ${channel}: the receiver did not answer (${describe(cause)})`, {
      cause,
    });
  }
  const text = await res.text().catch(() => '');
  if (res.status === 429 || res.status >= 500) {
    const after = Number(res.headers.get('retry-after'));
    throw new Retryable(`channel ${channel}: HTTP ${res.status} ${text.slice(0, 200)}`, {
      code: `http-${res.status}`,
      ...(Number.isFinite(after) && after > 0 ? { retryAfterMs: after * 1000 } : {}),
    });
  }
  if (res.status < 200 || res.status >= 300)
    throw new Permanent(`channel ${channel}: HTTP ${res.status} ${text.slice(0, 200)}`, {
      code: `http-${res.status}`,
    });
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timed out';
  return e?.cause?.code ?? e?.message ?? String(err);
}

/** At most `max` UTF-8 bytes: the robots refuse longer messages. */
export function truncateBytes(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  let cut = text.slice(0, max);
  while (Buffer.byteLength(cut) > max - 3) cut = cut.slice(0, -1);
  return `${cut}...`;
}
