import type {
  HostDescription,
  HostSpec,
  HostState,
  IngressRule,
  SimulatedHosts,
} from '../hosts/simulated-hosts.js';

type HostCall =
  | { op: 'start'; serverId: string; spec: HostSpec }
  | { op: 'stop' | 'reboot' | 'destroy'; serverId: string }
  | { op: 'rebuild'; serverId: string; spec: HostSpec }
  | { op: 'setIngress'; serverId: string; ingress: IngressRule[] }
  | { op: 'setPassword'; serverId: string; password: string }
  | { op: 'refuseSshUntil'; serverId: string; until: Date }
  | { op: 'setSshDropRate'; rate: number };

export interface RecordingHosts extends SimulatedHosts {
  /** Every call, in order. */
  readonly calls: HostCall[];
  /** Calls for one server. */
  callsFor(serverId: string): HostCall[];
}

/**
 * A typed fake of `SimulatedHosts` that records what the cloud simulator asks and keeps each
 * machine's state, without running anything: for tests of the cloud side alone, and as the
 * default until the real SSH hosts are wired.
 *
 * @example
 *   const hosts = createRecordingHosts();
 *   const sim = await startSimulator({ hosts });
 *   // ... create a server ...
 *   expect(hosts.callsFor(serverId).map((c) => c.op)).toEqual(['start']);
 */
export function createRecordingHosts(): RecordingHosts {
  const calls: HostCall[] = [];
  const machines = new Map<string, { spec: HostSpec; state: HostState }>();
  const describe = (serverId: string): HostDescription => {
    const m = machines.get(serverId);
    return {
      serverId,
      state: m?.state ?? 'absent',
      address: m?.spec.address ?? '',
      sshPort: 22,
      hostKeyFingerprint: undefined,
      diskPath: undefined,
    };
  };
  const need = (serverId: string, op: string) => {
    const m = machines.get(serverId);
    if (!m) throw new Error(`hosts.${op}: no machine ${serverId}`);
    return m;
  };
  return {
    calls,
    callsFor: (serverId) => calls.filter((c) => 'serverId' in c && c.serverId === serverId),
    async start(spec) {
      calls.push({ op: 'start', serverId: spec.serverId, spec });
      machines.set(spec.serverId, { spec, state: 'running' });
    },
    async stop(serverId) {
      calls.push({ op: 'stop', serverId });
      need(serverId, 'stop').state = 'stopped';
    },
    async reboot(serverId) {
      calls.push({ op: 'reboot', serverId });
      need(serverId, 'reboot').state = 'running';
    },
    async destroy(serverId) {
      calls.push({ op: 'destroy', serverId });
      machines.delete(serverId);
    },
    async rebuild(serverId, spec) {
      calls.push({ op: 'rebuild', serverId, spec });
      machines.set(serverId, { spec, state: 'running' });
    },
    async setIngress(serverId, ingress) {
      calls.push({ op: 'setIngress', serverId, ingress });
      const m = need(serverId, 'setIngress');
      m.spec = { ...m.spec, ingress };
    },
    async setPassword(serverId, password) {
      calls.push({ op: 'setPassword', serverId, password });
      const m = need(serverId, 'setPassword');
      m.spec = { ...m.spec, adminPass: password };
    },
    refuseSshUntil(serverId, until) {
      calls.push({ op: 'refuseSshUntil', serverId, until });
    },
    setSshDropRate(rate) {
      calls.push({ op: 'setSshDropRate', rate });
    },
    describe,
    list: () => [...machines.keys()].map(describe),
    async close() {
      machines.clear();
    },
  };
}
