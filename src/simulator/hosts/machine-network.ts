import type { Socket } from 'node:net';
import type { Logger } from '../../platform/logger.js';
import { admits, forwardedPorts, opensPort, sshRulePort } from './ingress.js';
import { createListeners, type ListenerSpec } from './listeners.js';
import type { MachineEnv } from './machine-env.js';
import type { Sandbox } from './sandbox.js';
import type { HostSpec, HostState } from './simulated-hosts.js';

export interface MachineNetworkOptions {
  env: MachineEnv;
  serverId: string;
  logger: Logger;
  spec(): HostSpec;
  state(): HostState;
  sandbox(): Sandbox | undefined;
  /** Hands an admitted connection to the machine's SSH server. */
  acceptSsh(socket: Socket): void;
  /** Asks for `sync` to run again, in turn with the machine's lifecycle (a fault ended). */
  resync(): void;
}

/**
 * What the outside world reaches of one machine on its EIP: SSH (served by the simulator, like
 * sshd would be) and the TCP ports the security groups open (forwarded into the machine). Nothing
 * listens while the machine is off or booting, so connections are refused as by a real host.
 */
export function createMachineNetwork(options: MachineNetworkOptions) {
  const { env, logger } = options;
  const listeners = createListeners(logger);
  const sshSockets = new Set<Socket>();
  let refuseTimer: NodeJS.Timeout | undefined;
  let warnedWide = '';

  const refusedUntil = () => {
    const until = env.refusedUntil(options.serverId);
    return until && until.getTime() > env.clock.now().getTime() ? until : undefined;
  };

  function onSsh(socket: Socket) {
    const spec = options.spec();
    if (
      options.state() !== 'running' ||
      refusedUntil() ||
      !admits(spec.ingress, sshRulePort, socket.remoteAddress ?? '')
    ) {
      return socket.resetAndDestroy();
    }
    // As sshd does: without it, small request/reply packets wait on delayed ACKs (~40 ms each).
    socket.setNoDelay(true);
    sshSockets.add(socket);
    socket.once('close', () => sshSockets.delete(socket));
    if (env.random() < env.dropRate()) {
      // After the client's first bytes, so it sees a connection that opened and then broke.
      socket.once('data', () => setImmediate(() => socket.resetAndDestroy()));
    }
    options.acceptSsh(socket);
  }

  function onForward(port: number, socket: Socket) {
    const sandbox = options.sandbox();
    if (!sandbox || !admits(options.spec().ingress, port, socket.remoteAddress ?? '')) {
      return socket.resetAndDestroy();
    }
    sandbox.forward(socket, options.spec().privateIp, port);
  }

  function wanted(refused: boolean): Map<string, ListenerSpec> {
    const result = new Map<string, ListenerSpec>();
    const spec = options.spec();
    if (options.state() !== 'running') return result;
    if (!refused && opensPort(spec.ingress, sshRulePort)) {
      result.set('ssh', { port: env.sshPort, onSocket: onSsh });
    }
    const { ports, tooWide } = forwardedPorts(spec.ingress);
    const wide = JSON.stringify(tooWide);
    if (tooWide.length > 0 && wide !== warnedWide) {
      logger.warn({ rules: tooWide }, 'ingress rules too wide to forward port by port (SSH only)');
    }
    warnedWide = wide;
    for (const port of ports) {
      if (port === env.sshPort) continue;
      result.set(`tcp/${port}`, {
        port,
        pauseOnConnect: true,
        onSocket: (socket) => onForward(port, socket),
      });
    }
    return result;
  }

  async function sync() {
    clearTimeout(refuseTimer);
    const until = refusedUntil();
    // Refusing means not listening, so clients get ECONNREFUSED as from a host whose sshd is down.
    if (until && options.state() === 'running') {
      refuseTimer = setTimeout(options.resync, until.getTime() - env.clock.now().getTime());
    }
    await listeners.sync(options.spec().address, wanted(until !== undefined));
  }

  return {
    sync,
    /** Power off: nothing listens any more and open SSH connections die with the machine. */
    async shutdown() {
      clearTimeout(refuseTimer);
      await listeners.closeAll();
      for (const socket of sshSockets) socket.destroy();
      sshSockets.clear();
    },
  };
}
