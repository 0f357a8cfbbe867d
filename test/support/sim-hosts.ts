import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { systemClock } from '../../src/platform/clock.js';
import { createSilentLogger, type Logger } from '../../src/platform/logger.js';
import type { RemoteHost, RemoteSession, SshTarget } from '../../src/remote/remote-host.js';
import { waitForSsh } from '../../src/remote/wait-for-ssh.js';
import { createSimulatedHosts } from '../../src/simulator/hosts/create-simulated-hosts.js';
import type { HostSpec, SimulatedHosts } from '../../src/simulator/hosts/simulated-hosts.js';

/**
 * A spec for tests: a random EIP in 127.20.0.0/16 (test files run in parallel), SSH and 8080
 * open to everyone, a short boot.
 */
export function testHostSpec(serverId: string, overrides: Partial<HostSpec> = {}): HostSpec {
  return {
    serverId,
    address: `127.20.${randomInt(1, 255)}.${randomInt(1, 255)}`,
    privateIp: `192.168.0.${randomInt(10, 250)}`,
    hostname: `ecs-${serverId}`,
    adminPass: `Pw-${serverId}-2026!`,
    image: { id: 'debian-12' },
    ingress: [
      { protocol: 'tcp', portMin: 22, portMax: 22, remoteIpPrefix: '0.0.0.0/0' },
      { protocol: 'tcp', portMin: 8080, portMax: 8080, remoteIpPrefix: '0.0.0.0/0' },
    ],
    bootDelayMs: 150,
    ...overrides,
  };
}

/** `waitForSsh` on the system clock, for tests that start machines themselves. */
export function waitForTestSsh(
  remote: RemoteHost,
  target: SshTarget,
  timeoutMs = 10_000,
): Promise<RemoteSession> {
  return waitForSsh(remote, target, { clock: systemClock, timeoutMs });
}

/** The port sshd of every test machine listens on (22 is the host's own). */
const testSshPort = 2222;

/**
 * Simulated machines for one test file (real sshd, own root and processes; needs root), in a
 * temporary directory removed by `close`. The way tests outside src/simulator reach them.
 *
 * @example
 *   const machines = await createTestHosts();
 *   const spec = await machines.start(testHostSpec('adapter'));
 *   const session = await machines.connect(remote, spec);
 *   afterAll(() => machines.close());
 */
export interface TestHosts {
  readonly hosts: SimulatedHosts;
  /** Where the simulator keeps its state: a temporary directory tests may use for files too. */
  readonly dataDir: string;
  /** Powers the machine on; returns its spec. */
  start(spec: HostSpec): Promise<HostSpec>;
  /** root with the machine's admin password at its EIP. */
  target(spec: HostSpec, extra?: Partial<SshTarget>): SshTarget;
  /** Waits for the machine's sshd through `remote` (10 s at most) and opens a session. */
  connect(remote: RemoteHost, spec: HostSpec, extra?: Partial<SshTarget>): Promise<RemoteSession>;
  /** Where a file of the machine lives on this host, to check it out of band (not over SSH). */
  hostPath(spec: HostSpec, remotePath: string): string;
  close(): Promise<void>;
}

export async function createTestHosts(options: { logger?: Logger } = {}): Promise<TestHosts> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'kgd-test-hosts-'));
  const hosts = createSimulatedHosts({
    dataDir,
    sshPort: testSshPort,
    logger: options.logger ?? createSilentLogger(),
  });
  const target = (spec: HostSpec, extra: Partial<SshTarget> = {}): SshTarget => ({
    host: spec.address,
    port: testSshPort,
    username: 'root',
    password: spec.adminPass,
    readyTimeoutMs: 5_000,
    ...extra,
  });
  return {
    hosts,
    dataDir,
    async start(spec) {
      await hosts.start(spec);
      return spec;
    },
    target,
    connect: (remote, spec, extra) => waitForTestSsh(remote, target(spec, extra)),
    hostPath(spec, remotePath) {
      const disk = hosts.describe(spec.serverId).diskPath;
      if (!disk) throw new Error(`machine ${spec.serverId} has no disk (not started?)`);
      return path.join(disk, remotePath);
    },
    async close() {
      await hosts.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
