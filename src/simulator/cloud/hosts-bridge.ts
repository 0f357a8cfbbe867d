import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { HostSpec, SimulatedHosts } from '../hosts/simulated-hosts.js';
import type { Faults } from './faults.js';
import { ingressFor } from './ingress.js';
import type { Latency } from './latency.js';
import type { CloudStore, SimServer } from './store.js';

/**
 * The cloud side of the contract with the simulated machines: builds each HostSpec and calls
 * `SimulatedHosts` on lifecycle transitions. Calls for one server run one after another (a stop
 * never overtakes the start before it); failures are logged, never thrown into the cloud's
 * state machine, since a real cloud does not learn that a guest OS failed to boot.
 */
export interface HostsBridge {
  start(server: SimServer): void;
  stop(server: SimServer): void;
  reboot(server: SimServer): void;
  destroy(server: SimServer): void;
  setPassword(server: SimServer, password: string): void;
  /** The rules of these groups changed: push the new ingress to their running servers. */
  refreshIngress(groupIds: string[]): void;
  refuseSsh(serverId: string | '*', until: Date): void;
  /** Resolves when every call made so far has finished. */
  settled(): Promise<void>;
  readonly hosts: SimulatedHosts;
}

export function createHostsBridge(deps: {
  hosts: SimulatedHosts;
  store: CloudStore;
  latency: Latency;
  faults: Faults;
  clock: Clock;
  logger: Logger;
}): HostsBridge {
  const { hosts, store, logger } = deps;
  const chains = new Map<string, Promise<void>>();

  const enqueue = (serverId: string, op: string, fn: () => Promise<void>) => {
    const prev = chains.get(serverId) ?? Promise.resolve();
    const next = prev.then(fn).catch((err: unknown) => {
      logger.warn(
        { serverId, op, err: (err as Error)?.message ?? String(err) },
        'simulated host call failed',
      );
    });
    chains.set(serverId, next);
    void next.then(() => {
      if (chains.get(serverId) === next) chains.delete(serverId);
    });
  };

  const specOf = (server: SimServer, bootDelayMs: number): HostSpec | undefined => {
    const eip = server.eipId ? store.eips.get(server.eipId) : undefined;
    if (!eip) return undefined;
    const image = store.catalog.images.get(server.imageId);
    const key = server.keyName ? store.keypairs.get(server.keyName) : undefined;
    return {
      serverId: server.id,
      address: eip.address,
      privateIp: server.fixedIp,
      hostname: server.name,
      ...(server.adminPass ? { adminPass: server.adminPass } : {}),
      ...(key ? { authorizedKeys: [key] } : {}),
      image: { id: server.imageId, ...(image?.filesDir ? { filesDir: image.filesDir } : {}) },
      ingress: ingressFor(store, server),
      ...(server.userData ? { userData: server.userData } : {}),
      bootDelayMs,
    };
  };

  return {
    hosts,
    start(server) {
      const bootDelayMs = deps.latency.draw('bootMs');
      const spec = specOf(server, bootDelayMs);
      if (!spec) {
        // Without an EIP nothing outside the VPC reaches the machine: no SSH endpoint to run.
        logger.debug({ serverId: server.id }, 'server has no EIP: no simulated host started');
        return;
      }
      server.hostStarted = true;
      const refuseMs = deps.faults.sshRefuseAfterBootMs;
      enqueue(server.id, 'start', async () => {
        await hosts.start(spec);
        if (refuseMs > 0) {
          const until = new Date(
            deps.clock.now().getTime() + bootDelayMs + refuseMs * deps.latency.timeScale,
          );
          hosts.refuseSshUntil(server.id, until);
        }
      });
    },
    stop(server) {
      if (server.hostStarted) enqueue(server.id, 'stop', () => hosts.stop(server.id));
    },
    reboot(server) {
      if (server.hostStarted) enqueue(server.id, 'reboot', () => hosts.reboot(server.id));
    },
    destroy(server) {
      if (!server.hostStarted) return;
      server.hostStarted = false;
      enqueue(server.id, 'destroy', () => hosts.destroy(server.id));
    },
    setPassword(server, password) {
      if (server.hostStarted)
        enqueue(server.id, 'setPassword', () => hosts.setPassword(server.id, password));
    },
    refreshIngress(groupIds) {
      const changed = new Set(groupIds);
      for (const server of store.servers.values()) {
        if (!server.hostStarted || !server.securityGroupIds.some((g) => changed.has(g))) continue;
        const ingress = ingressFor(store, server);
        enqueue(server.id, 'setIngress', () => hosts.setIngress(server.id, ingress));
      }
    },
    refuseSsh(serverId, until) {
      hosts.refuseSshUntil(serverId, until);
    },
    async settled() {
      while (chains.size > 0) await Promise.all([...chains.values()]);
    },
  };
}
