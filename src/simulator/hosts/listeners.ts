import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../platform/logger.js';

/**
 * The TCP listeners one EIP needs at a given moment, keyed by name ("ssh", "tcp/8080"). `sync`
 * opens what is wanted and missing and closes what is no longer wanted; a port that cannot be
 * bound is logged and retried on the next sync. Closing a listener leaves accepted connections
 * alone: the caller decides whether they die.
 */
export interface Listeners {
  sync(address: string, wanted: Map<string, ListenerSpec>): Promise<void>;
  closeAll(): Promise<void>;
}

export interface ListenerSpec {
  port: number;
  onSocket(socket: Socket): void;
  /** Forwarded connections are handed to another process before any byte is read. */
  pauseOnConnect?: boolean;
}

const closeServer = (server: Server) =>
  new Promise<void>((resolve) => server.close(() => resolve()));

export function createListeners(logger: Logger): Listeners {
  const open = new Map<string, { server: Server; address: string }>();

  const listen = (address: string, spec: ListenerSpec) =>
    new Promise<Server | undefined>((resolve) => {
      const server = createServer({ pauseOnConnect: spec.pauseOnConnect ?? false }, spec.onSocket);
      server.once('error', (error) => {
        logger.error({ address, port: spec.port, err: error.message }, 'cannot listen');
        resolve(undefined);
      });
      server.listen({ host: address, port: spec.port, exclusive: true }, () => resolve(server));
    });

  return {
    async sync(address, wanted) {
      for (const [name, current] of open) {
        if (wanted.has(name) && current.address === address) continue;
        open.delete(name);
        closeServer(current.server);
      }
      for (const [name, spec] of wanted) {
        if (open.has(name)) continue;
        const server = await listen(address, spec);
        if (server) open.set(name, { server, address });
      }
    },
    async closeAll() {
      for (const { server } of open.values()) closeServer(server);
      open.clear();
    },
  };
}
