import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { serve } from '@hono/node-server';
import { markArrival } from '../platform/arrival.js';
import type { Config } from '../platform/config.js';
import type { TlsOptions } from '../platform/tls.js';

/** One HTTP listener of the service: where it listens, and how to close it within a grace. */
export interface Listener {
  url: string;
  server: Server;
  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
  close(graceMs: number): Promise<void>;
}

export interface ListenOptions {
  fetch: (request: Request, env: object) => Response | Promise<Response>;
  host: string;
  port: number;
  http: Config['http'];
  /** Node's header size limit (a V1 marketplace call carries everything in its query). */
  maxHeaderSize?: number;
  /** HTTPS (TLS 1.2 at least) with this certificate and key; plain HTTP without. */
  tls?: TlsOptions | undefined;
}

/**
 * The open-files limit of this process, from /proc (Linux); undefined elsewhere. Connections
 * are capped below it so a flood never takes the descriptors the database pool, the replica
 * heartbeat and the SSH sessions need.
 */
function openFilesLimit(): number | undefined {
  try {
    const line = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return line ? Number(line[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Half the descriptors, at most 4096: the other half stays for the database, SSH and files. */
export function defaultMaxConnections(limit = openFilesLimit()): number {
  return limit === undefined ? 1024 : Math.max(64, Math.min(4096, Math.floor(limit / 2)));
}

/**
 * Listens with the limits an internet-facing server needs: headers and whole requests must
 * arrive within their timeouts and idle keep-alive connections are closed (a slow or silent
 * client is shed, checked every second), a cap on open connections, and a cap per client
 * address so one address cannot take them all. Each request is stamped with its arrival time.
 */
export async function listen(options: ListenOptions): Promise<Listener> {
  const { http } = options;
  const server = serve({
    fetch: options.fetch,
    port: options.port,
    hostname: options.host,
    ...(options.tls && { createServer: createHttpsServer }),
    serverOptions: {
      ...options.tls,
      ...(options.maxHeaderSize ? { maxHeaderSize: options.maxHeaderSize } : {}),
      headersTimeout: http.headersTimeoutMs,
      requestTimeout: http.requestTimeoutMs,
      keepAliveTimeout: http.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, http.headersTimeoutMs),
    },
  }) as Server;
  server.maxConnections = http.maxConnections ?? defaultMaxConnections();
  if (http.maxConnectionsPerAddress > 0) capPerAddress(server, http.maxConnectionsPerAddress);
  shedSilentConnections(server, http.headersTimeoutMs);
  server.prependListener('request', markArrival);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  return {
    url: `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    server,
    close: (graceMs) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, graceMs);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

/**
 * Node's headersTimeout is only checked when bytes arrive (Node 20): a connection that sends
 * nothing, or a few bytes of headers and then nothing, stays open for ever. Each connection
 * must therefore complete a request's headers within `ms` of opening and of each answer's end
 * (an idle keep-alive connection is closed sooner by keepAliveTimeout).
 */
function shedSilentConnections(server: Server, ms: number): void {
  const timers = new WeakMap<Socket, NodeJS.Timeout>();
  const arm = (socket: Socket) => {
    clearTimeout(timers.get(socket));
    const timer = setTimeout(() => socket.destroy(), ms);
    timer.unref();
    timers.set(socket, timer);
  };
  server.on('connection', (socket: Socket) => {
    arm(socket);
    socket.once('close', () => clearTimeout(timers.get(socket)));
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    clearTimeout(timers.get(socket));
    response.once('finish', () => {
      if (!socket.destroyed) arm(socket);
    });
  });
}

function capPerAddress(server: Server, cap: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const n = (open.get(address) ?? 0) + 1;
    if (n > cap) {
      socket.destroy();
      return;
    }
    open.set(address, n);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}
