import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves a Hono app over real HTTP (port 0 picks a free port). `close` also drops kept-alive
 * connections, so tests and shutdowns never hang on an idle socket.
 */
export function listen(
  app: Hono,
  options: { host?: string; port?: number } = {},
): Promise<Listening> {
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port: options.port ?? 0 }, (info) => {
      const port = (info as AddressInfo).port;
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${shown}:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            (server as Server).close(() => done());
            (server as Server).closeAllConnections();
          }),
      });
    }) as Server;
    server.once('error', reject);
  });
}
