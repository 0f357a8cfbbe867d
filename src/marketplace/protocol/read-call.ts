/**
 * Turns an HTTP request on the production URL into a call to authenticate: V1 is a GET with every
 * parameter in the query, V2 a POST with a JSON body and signature/timestamp/nonce in the query.
 * Structural problems are answered 000002 before anything is authenticated or stored.
 */
export type IncomingCall =
  | {
      protocol: 'v1';
      method: string;
      /** Query parameters in arrival order, URL-decoded (ciphertext fields stay ciphertext). */
      params: [string, string][];
      raw: string;
    }
  | {
      protocol: 'v2';
      method: string;
      query: Record<string, string>;
      body: Buffer;
      raw: string;
    };

export type ReadResult = { ok: true; call: IncomingCall } | { ok: false; message: string };

/** On Node, the body is read from the request stream itself: a web stream adds a copy per chunk. */
export type NodeBody = AsyncIterable<Buffer> & { destroy?: () => void };

/**
 * A body past the limit (chunked, so its size was not declared) is read on and dropped, so the
 * caller still gets its 000002; only a sender streaming past 16 times the limit loses the
 * connection.
 */
async function readNodeBody(incoming: NodeBody, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming) {
    size += chunk.length;
    if (size > maxBytes * 16) {
      incoming.destroy?.();
      return undefined;
    }
    if (size <= maxBytes) chunks.push(chunk);
  }
  if (size > maxBytes) return undefined;
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

async function readBody(
  request: Request,
  maxBytes: number,
  incoming?: NodeBody,
): Promise<Buffer | undefined> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > maxBytes) return undefined;
  if (incoming) return readNodeBody(incoming, maxBytes);

  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function queryPairs(url: URL): { pairs: [string, string][]; duplicate?: string } {
  const pairs: [string, string][] = [];
  const seen = new Set<string>();
  for (const [k, v] of url.searchParams) {
    if (seen.has(k)) return { pairs, duplicate: k };
    seen.add(k);
    pairs.push([k, v]);
  }
  return { pairs };
}

export async function readCall(
  request: Request,
  maxBodyBytes: number,
  incoming?: NodeBody,
): Promise<ReadResult> {
  const url = new URL(request.url);
  const { pairs, duplicate } = queryPairs(url);
  if (duplicate)
    return {
      ok: false,
      message: `query parameter '${duplicate.slice(0, 40)}' appears more than once`,
    };
  if (url.search.length > maxBodyBytes)
    return { ok: false, message: `query string over ${maxBodyBytes} bytes` };

  if (request.method === 'GET') {
    return {
      ok: true,
      call: { protocol: 'v1', method: 'GET', params: pairs, raw: url.search.slice(1) },
    };
  }
  if (request.method !== 'POST') {
    return {
      ok: false,
      message: `method ${request.method} not accepted: V1 calls are GET, V2 calls are POST`,
    };
  }
  const type = request.headers.get('content-type');
  if (type && !/^application\/(json|[\w.+-]+\+json)\s*(;|$)/i.test(type)) {
    return {
      ok: false,
      message: `content-type ${type.slice(0, 60)} not accepted: V2 bodies are application/json`,
    };
  }
  const body = await readBody(request, maxBodyBytes, incoming);

  if (!body) return { ok: false, message: `body over ${maxBodyBytes} bytes` };
  const query = Object.fromEntries(pairs);
  return {
    ok: true,
    call: {
      protocol: 'v2',
      method: 'POST',
      query,
      body,
      raw: `${url.search.slice(1)}\n${body.toString('utf8')}`,
    },
  };
}
