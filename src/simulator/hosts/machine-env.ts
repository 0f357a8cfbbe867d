import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { Sandbox, SandboxOptions } from './sandbox.js';

/** What every simulated machine shares: where it keeps its disk, its sshd port, time, faults. */
export interface MachineEnv {
  dataDir: string;
  sshPort: number;
  logger: Logger;
  clock: Clock;
  random: () => number;
  refusedUntil(serverId: string): Date | undefined;
  dropRate(): number;
  /** Boots the machine's sandbox when the hosts let it (see createSimulatedHosts). */
  bootSandbox(options: SandboxOptions): Promise<Sandbox>;
}
