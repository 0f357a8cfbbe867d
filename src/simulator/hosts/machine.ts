import { cp, mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import ssh2 from 'ssh2';
import { generateHostKey } from './host-key.js';
import { createMachineNetwork } from './machine-network.js';
import type { Sandbox } from './sandbox.js';
import type { HostDescription, HostSpec, HostState } from './simulated-hosts.js';
import { authenticate, parseAuthorizedKeys, type RootCredentials } from './ssh-auth.js';
import { rootPath, serveSessions } from './ssh-session.js';

export type { MachineEnv } from './machine-env.js';

import type { MachineEnv } from './machine-env.js';

export interface Machine {
  start(spec: HostSpec): Promise<void>;
  stop(): Promise<void>;
  /** Stop then start: same disk, same host key, the first-boot work is not repeated. */
  reboot(): Promise<void>;
  /** Stop, then wipe the disk; the machine is absent afterwards. */
  destroy(): Promise<void>;
  rebuild(spec: HostSpec): Promise<void>;
  setIngress(ingress: HostSpec['ingress']): Promise<void>;
  setPassword(password: string): void;
  /** Re-evaluates which listeners should be open (a fault began or ended). */
  reconcile(): Promise<void>;
  describe(): HostDescription;
}

/** Directories of the image's disk that the machine can see (sandbox-init.sh mounts them). */
const visibleDiskDirs = new Set(['root', 'home', 'opt', 'srv', 'var', 'tmp', 'mnt']);

const bootEnv = { PATH: rootPath, HOME: '/root', LANG: 'C.UTF-8' };

/** One simulated server: its disk, identity, power state and network presence. */
export function createMachine(initial: HostSpec, env: MachineEnv): Machine {
  let spec = initial;
  let state: HostState = 'stopped';
  let installed = false;
  let pendingUserData = false;
  let sandbox: Sandbox | undefined;
  let bootTimer: NodeJS.Timeout | undefined;
  let credentials: RootCredentials = { authorizedKeys: [] };
  let hostKey = generateHostKey();
  let ssh = createSsh();
  const hostDir = path.join(env.dataDir, 'hosts', initial.serverId);
  const diskDir = path.join(hostDir, 'disk');
  const log = env.logger.child({ serverId: initial.serverId });
  // Lifecycle calls and timer-driven changes run one at a time, in order.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work);
    queue = run.catch(() => {});
    return run;
  };

  const network = createMachineNetwork({
    env,
    serverId: initial.serverId,
    logger: log,
    spec: () => spec,
    state: () => state,
    sandbox: () => sandbox,
    acceptSsh: (socket) => ssh.injectSocket(socket),
    resync: () => void serial(() => network.sync()),
  });

  function createSsh(): ssh2.Server {
    return new ssh2.Server({ hostKeys: [hostKey.privateKey] }, (client, info) => {
      client.on('error', (error) => log.debug({ err: error.message }, 'ssh connection error'));
      client.on('authentication', (ctx) => {
        const ok = authenticate(ctx, credentials);
        log.debug({ username: ctx.username, method: ctx.method, ok }, 'ssh authentication');
      });
      client.on('ready', () =>
        serveSessions(client, {
          sandbox: () => sandbox,
          privateIp: spec.privateIp,
          clientIp: info.ip,
          clientPort: info.port,
        }),
      );
    });
  }

  function applySpec(next: HostSpec) {
    spec = next;
    credentials = {
      password: next.adminPass,
      authorizedKeys: parseAuthorizedKeys(next.authorizedKeys),
    };
  }

  async function install() {
    await rm(diskDir, { recursive: true, force: true });
    await mkdir(diskDir, { recursive: true });
    const filesDir = spec.image.filesDir;
    if (filesDir) {
      await cp(filesDir, diskDir, { recursive: true, verbatimSymlinks: true });
      const hidden = (await readdir(filesDir)).filter((d) => !visibleDiskDirs.has(d));
      if (hidden.length > 0) {
        log.warn({ hidden }, 'image files outside the writable disk directories are not visible');
      }
    }
    installed = true;
    pendingUserData = spec.userData !== undefined;
  }

  // cloud-init's way: user data runs once, as root, during the first boot, output to a log file.
  function runUserData(machine: Sandbox, script: string) {
    const child = machine.spawn(
      [
        '/bin/bash',
        '-c',
        'mkdir -p /var/lib/cloud/instance /var/log && f=/var/lib/cloud/instance/user-data && ' +
          'cat >"$f" && chmod 700 "$f" && "$f" >>/var/log/cloud-init-output.log 2>&1',
      ],
      bootEnv,
    );
    child.stdin?.end(script);
    child.on('close', (code, signal) => log.info({ code, signal }, 'user data finished'));
  }

  async function powerOn() {
    if (sandbox) return;
    if (!installed) await install();
    sandbox = await env.bootSandbox({
      hostDir,
      diskDir,
      hostname: spec.hostname,
      privateIp: spec.privateIp,
      logger: log,
    });
    state = 'booting';
    if (pendingUserData && spec.userData !== undefined) runUserData(sandbox, spec.userData);
    pendingUserData = false;
    bootTimer = setTimeout(() => {
      serial(async () => {
        if (state !== 'booting') return;
        state = 'running';
        log.info({ address: spec.address, sshPort: env.sshPort }, 'machine is up');
        await network.sync();
      });
    }, spec.bootDelayMs);
  }

  async function powerOff() {
    clearTimeout(bootTimer);
    if (state === 'absent') return;
    state = 'stopped';
    await network.shutdown();
    await sandbox?.stop();
    sandbox = undefined;
  }

  return {
    start: (next) =>
      serial(async () => {
        if (!sandbox) applySpec(next);
        await powerOn();
      }),
    stop: () => serial(powerOff),
    reboot: () =>
      serial(async () => {
        await powerOff();
        await powerOn();
      }),
    destroy: () =>
      serial(async () => {
        await powerOff();
        await rm(hostDir, { recursive: true, force: true });
        installed = false;
        state = 'absent';
        log.info('machine deleted');
      }),
    rebuild: (next) =>
      serial(async () => {
        await powerOff();
        applySpec(next);
        installed = false;
        hostKey = generateHostKey();
        ssh = createSsh();
        await powerOn();
      }),
    setIngress: (ingress) =>
      serial(async () => {
        spec = { ...spec, ingress };
        await network.sync();
      }),
    setPassword(password) {
      spec = { ...spec, adminPass: password };
      credentials = { ...credentials, password };
    },
    reconcile: () => serial(() => network.sync()),
    describe: () => ({
      serverId: spec.serverId,
      state,
      address: spec.address,
      sshPort: env.sshPort,
      hostKeyFingerprint: state === 'absent' ? undefined : hostKey.fingerprint,
      diskPath: installed ? diskDir : undefined,
    }),
  };
}
