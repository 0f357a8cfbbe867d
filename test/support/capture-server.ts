import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Captured {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  /** The exact bytes received: signatures are checked over them. */
  raw: Buffer;
  json: unknown;
}

/**
 * A local HTTP receiver standing in for a webhook or group robot: records every request and
 * answers what `answer` returns for it (status and JSON body), as the vendor would.
 */
export async function startCaptureServer(
  answer: (req: Captured) => { status?: number; body?: unknown } | undefined = () => undefined,
) {
  const received: Captured[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let json: unknown;
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        json = undefined;
      }
      const captured: Captured = {
        method: req.method ?? '',
        url: new URL(req.url ?? '/', 'http://capture'),
        headers: req.headers,
        raw,
        json,
      };
      received.push(captured);
      const a = answer(captured) ?? {};
      res.writeHead(a.status ?? 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(a.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
