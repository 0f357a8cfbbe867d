import { rm } from 'node:fs/promises';
import path from 'node:path';
import { type Clock, systemClock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import { parseHostSpec, parseIngress } from './host-spec.js';
import { createMachine, type Machine } from './machine.js';
import { type Sandbox, type SandboxOptions, startSandbox } from './sandbox.js';
import type { HostDescription, SimulatedHosts } from './simulated-hosts.js';

export interface SimulatedHostsOptions {
  /** `<dataDir>/hosts` holds the machines' disks; it belongs to this instance and is wiped. */
  dataDir: string;
  /** Port SSH is served on at every EIP. Default 22 as root (the EIPs are 127.x.y.z). */
  sshPort?: number;
  logger: Logger;
  /** Decides when a `refuseSshUntil` fault is over. */
  clock?: Clock;
  /** Decides which connections `setSshDropRate` drops. */
  random?: () => number;
  /** Sandboxes booting at once, at most (default 2: see why where it is used). */
  bootConcurrency?: number;
  /** Boots one machine's namespaces (tests replace it). */
  startSandbox?: (options: SandboxOptions) => Promise<Sandbox>;
}

/**
 * The real machines behind the cloud simulator's servers: each running server is an SSH endpoint
 * on its EIP whose commands run, as root, in a sandbox of Linux namespaces (its own root file
 * system, processes, network and host name). Needs root, util-linux (`unshare`, `nsenter`) and
 * iproute2. See docs/simulator-hosts.md.
 *
 * @example
 *   const hosts = createSimulatedHosts({ dataDir, sshPort: 2222, logger });
 *   await hosts.start({ serverId: 's1', address: '127.20.0.7', privateIp: '192.168.0.7',
 *     hostname: 'ecs-s1', adminPass: 'Secret#2026', image: { id: 'debian-12' },
 *     ingress: [{ protocol: 'tcp', portMin: 22, portMax: 22 }], bootDelayMs: 500 });
 *   // after 500 ms: ssh root@127.20.0.7 -p 2222
 *   await hosts.close();
 */
export function createSimulatedHosts(options: SimulatedHostsOptions): SimulatedHosts {
  const hostsDir = path.join(options.dataDir, 'hosts');
  const machines = new Map<string, Machine>();
  const refused = new Map<string, Date>();
  let dropRate = 0;
  let closed = false;
  // Disks left by a previous instance that died: their machines died with it (PID 1 exits when
  // the simulator's pipe closes), so nothing else uses them.
  const prepared = rm(hostsDir, { recursive: true, force: true });
  // A boot is some sixty short-lived processes (unshare, mount, ip…) racing for the CPU: boots
  // run all at once share it, so each takes as long as the whole batch, and ten servers created
  // together on a busy machine overran the boot deadline (the machine then never comes up while
  // the cloud says ACTIVE). A few at a time, each boot's deadline measures that boot alone.
  const bootGate = createGate(options.bootConcurrency ?? 2);
  const boot = options.startSandbox ?? startSandbox;

  const env = {
    dataDir: options.dataDir,
    sshPort: options.sshPort ?? (process.getuid?.() === 0 ? 22 : 2222),
    logger: options.logger.child({ component: 'simulated-hosts' }),
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    refusedUntil(serverId: string) {
      const all = refused.get('*');
      const one = refused.get(serverId);
      if (!all || !one) return all ?? one;
      return all > one ? all : one;
    },
    dropRate: () => dropRate,
    bootSandbox: (sandboxOptions: SandboxOptions) => bootGate(() => boot(sandboxOptions)),
  };

  const machine = (serverId: string): Machine => {
    const found = machines.get(serverId);
    if (!found) throw new Error(`no simulated host for server ${serverId}: start it first`);
    return found;
  };
  const absent = (serverId: string, address = ''): HostDescription => ({
    serverId,
    state: 'absent',
    address,
    sshPort: env.sshPort,
    hostKeyFingerprint: undefined,
    diskPath: undefined,
  });

  return {
    async start(spec) {
      if (closed) throw new Error('simulated hosts are closed');
      parseHostSpec(spec);
      await prepared;
      let found = machines.get(spec.serverId);
      if (!found) {
        found = createMachine(spec, env);
        machines.set(spec.serverId, found);
      }
      await found.start(spec);
    },
    async stop(serverId) {
      await machines.get(serverId)?.stop();
    },
    async reboot(serverId) {
      await machine(serverId).reboot();
    },
    async destroy(serverId) {
      const found = machines.get(serverId);
      if (!found) return;
      machines.delete(serverId);
      await found.destroy();
    },
    async rebuild(serverId, spec) {
      parseHostSpec(spec);
      await machine(serverId).rebuild(spec);
    },
    async setIngress(serverId, ingress) {
      await machine(serverId).setIngress(parseIngress(ingress));
    },
    async setPassword(serverId, password) {
      if (!password) throw new Error('password: expected a non-empty string');
      machine(serverId).setPassword(password);
    },
    refuseSshUntil(serverId, until) {
      refused.set(serverId, until);
      const affected = serverId === '*' ? [...machines.values()] : [machines.get(serverId)];
      for (const m of affected) m?.reconcile().catch(() => {});
    },
    setSshDropRate(rate) {
      if (!(rate >= 0 && rate <= 1)) throw new Error('rate: expected a fraction between 0 and 1');
      dropRate = rate;
    },
    describe: (serverId) => machines.get(serverId)?.describe() ?? absent(serverId),
    list: () => [...machines.values()].map((m) => m.describe()),
    async close() {
      closed = true;
      const all = [...machines.values()];
      machines.clear();
      await Promise.all(all.map((m) => m.destroy()));
      await prepared;
      await rm(hostsDir, { recursive: true, force: true });
    },
  };
}

/** Runs at most `limit` of the works given to it at once, the others in turn as slots free up. */
function createGate(limit: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    // A finishing work hands its slot straight to the next in line (running stays the same).
    if (running < limit) running++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
