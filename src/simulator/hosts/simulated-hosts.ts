/**
 * The contract between the cloud simulator (which owns servers, their lifecycle and security
 * groups) and the simulated machines behind them (real SSH endpoints running commands in a
 * per-server sandbox). The cloud simulator calls these on every lifecycle transition; the hosts
 * implementation never decides lifecycle on its own.
 */

export interface IngressRule {
  protocol: 'tcp' | 'udp' | 'icmp' | 'any';
  /** Inclusive port range; absent means all ports. */
  portMin?: number;
  portMax?: number;
  /** CIDR the rule admits, e.g. 0.0.0.0/0. */
  remoteIpPrefix?: string;
}

export interface HostSpec {
  serverId: string;
  /** The EIP: a loopback address such as 127.20.0.7 where SSH and the opened ports are served. */
  address: string;
  /** The fixed (private) IP of the server in its subnet, shown inside the machine. */
  privateIp: string;
  hostname: string;
  /** Root password (ECS `adminPass`), if the server was created with one. */
  adminPass?: string;
  /** OpenSSH public keys accepted for root (ECS `key_name`). */
  authorizedKeys?: string[];
  image: {
    id: string;
    /** A directory whose content is the image's disk: copied into the server's disk at first boot. */
    filesDir?: string;
  };
  /** Security-group ingress: only these ports of `address` reach the machine. */
  ingress: IngressRule[];
  /** ECS user_data, decoded: run once as root at first boot. */
  userData?: string;
  /** How long the OS takes to boot before sshd accepts connections (already time-scaled). */
  bootDelayMs: number;
}

export type HostState = 'booting' | 'running' | 'stopped' | 'absent';

export interface HostDescription {
  serverId: string;
  state: HostState;
  address: string;
  sshPort: number;
  /** SHA256 fingerprint of the current host key, as OpenSSH prints it (SHA256:...). */
  hostKeyFingerprint: string | undefined;
  /** Where the server's disk lives on the host (for inspection and tests). */
  diskPath: string | undefined;
}

export interface SimulatedHosts {
  /** Powers on (first boot or after stop). Idempotent for a running server. */
  start(spec: HostSpec): Promise<void>;
  /** Powers off: every process of the machine is killed, SSH refused, disk kept. */
  stop(serverId: string): Promise<void>;
  /** Stop then start, same disk and host key. */
  reboot(serverId: string): Promise<void>;
  /** Deletes the machine: processes killed, disk wiped, SSH refused for good. */
  destroy(serverId: string): Promise<void>;
  /** Reinstalls the OS: new host key, disk reset to the image. */
  rebuild(serverId: string, spec: HostSpec): Promise<void>;
  /** The server's security groups changed. */
  setIngress(serverId: string, ingress: IngressRule[]): Promise<void>;
  setPassword(serverId: string, password: string): Promise<void>;
  /** Fault injection: refuse SSH connections (to one server, or '*' for all) until `until`. */
  refuseSshUntil(serverId: string | '*', until: Date): void;
  /** Fault injection: drop this fraction (0..1) of SSH connections shortly after they open. */
  setSshDropRate(rate: number): void;
  describe(serverId: string): HostDescription;
  list(): HostDescription[];
  close(): Promise<void>;
}
