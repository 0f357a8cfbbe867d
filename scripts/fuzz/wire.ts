import http from 'node:http';

/** One HTTP request exactly as it goes on the wire: no client normalises it on the way. */
export interface Wire {
  method: string;
  /** Path and query string as sent (printable ASCII only, as HTTP allows). */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Send the body with chunked transfer encoding (no Content-Length). */
  chunked?: boolean;
}

export interface Reply {
  status?: number;
  body?: string;
  bodySign?: string;
  /** Transport failure: reset, timeout, refused. */
  error?: string;
  ms: number;
}

export function createSender(baseUrl: string, concurrency: number, timeoutMs: number) {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  function send(wire: Wire): Promise<Reply> {
    const started = performance.now();
    return new Promise((resolve) => {
      const done = (r: Omit<Reply, 'ms'>) => resolve({ ...r, ms: performance.now() - started });
      const headers: Record<string, string | number> = { ...wire.headers };
      if (wire.body && !wire.chunked) headers['content-length'] = wire.body.length;
      let req: http.ClientRequest;
      try {
        req = http.request(
          {
            agent,
            host: url.hostname,
            port: url.port,
            path: wire.path,
            method: wire.method,
            headers,
            timeout: timeoutMs,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (d: Buffer) => chunks.push(d));
            res.on('end', () =>
              done({
                status: res.statusCode,
                body: Buffer.concat(chunks).toString('utf8'),
                bodySign: res.headers['body-sign'] as string | undefined,
              }),
            );
            res.on('error', (err) => done({ status: res.statusCode, error: err.message }));
          },
        );
      } catch (err) {
        done({ error: `not sendable: ${(err as Error).message}` });
        return;
      }
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (err) => done({ error: err.message }));
      if (wire.body && wire.chunked) {
        // Several chunks, so the service sees the size grow while it reads.
        for (let i = 0; i < wire.body.length; i += 16_384)
          req.write(wire.body.subarray(i, i + 16_384));
        req.end();
      } else req.end(wire.body);
    });
  }
  return { send, close: () => agent.destroy() };
}
