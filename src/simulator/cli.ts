import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { CliError, type CliIo, exitCodes } from '../platform/cli-io.js';
import { createLogger } from '../platform/logger.js';
import { faultSpecSchema } from './cloud/control.js';
import { createRecordingHosts } from './cloud/recording-hosts.js';
import { createSimulatedHosts } from './hosts/create-simulated-hosts.js';
import type { SimulatedHosts } from './hosts/simulated-hosts.js';
import { type SimulatorHandle, simulatorDefaults, startSimulator } from './server.js';

export interface SimulatorCommandDeps {
  /** The simulated machines, overriding `--hosts` (tests); closed when the command ends. */
  hosts?: () => SimulatedHosts | Promise<SimulatedHosts>;
  /** Resolves when the simulator should stop; SIGINT / SIGTERM by default. */
  until?: (sim: SimulatorHandle) => Promise<void>;
  /** The private images of the image products in a templates folder (`--templates`). */
  productImages: (templatesDir: string) => Array<{ id: string; name: string; filesDir: string }>;
}

interface Flags {
  port: string;
  host: string;
  timeScale: string;
  seed?: string;
  region: string;
  v3: boolean;
  faults?: string;
  marketplace: boolean;
  json?: boolean;
  hosts?: string;
  dataDir?: string;
  sshPort?: string;
  eipPool?: string;
  templates?: string;
}

function usage(message: string): never {
  throw new CliError(message, exitCodes.usage);
}

function number(
  flag: string,
  value: string,
  check: (n: number) => boolean,
  expected: string,
): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n))
    usage(`${flag} ${value}: expected ${expected}`);
  return n;
}

function credentials(env: CliIo['env']) {
  const ak = env.KGD_SIM_AK || simulatorDefaults.ak;
  const sk = env.KGD_SIM_SK || simulatorDefaults.sk;
  const projectId = env.KGD_SIM_PROJECT_ID || simulatorDefaults.projectId;
  if (!/^[A-Za-z0-9]{8,64}$/.test(ak)) usage('KGD_SIM_AK: expected 8-64 letters and digits');
  if (sk.length < 8) usage('KGD_SIM_SK: expected at least 8 characters');
  if (!/^[0-9a-f]{32}$/i.test(projectId))
    usage('KGD_SIM_PROJECT_ID: expected 32 hex digits, like a Huawei project id');
  return { ak, sk, projectId };
}

function readFaults(file: string) {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    usage(`--faults ${file}: cannot read it (${(err as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    usage(`--faults ${file}: not JSON (${(err as Error).message})`);
  }
  const result = faultSpecSchema.safeParse(parsed);
  if (!result.success) {
    usage(
      `--faults ${file}: ${result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`,
    );
  }
  return result.data;
}

function banner(sim: SimulatorHandle, machines: string): string {
  const lines = [
    `kgd simulator listening on ${sim.endpoint}`,
    `  cloud endpoint  ${sim.endpoint}  (ECS, VPC v2 and v3: give it to the SDK's withEndpoint)`,
    `  region          ${sim.region}  (AZs ${sim.azs.join(', ')})`,
    `  project id      ${sim.projectId}`,
    `  seller account  ${sim.domainName} (${sim.domainId}): what a buyer's agency trusts`,
    `  IAM             ${sim.endpoint}/v3.0/...  (agencies, assume_role; kgd marketplace buyer --help)`,
    `  AK              ${sim.ak}`,
    `  SK              ${sim.sk}`,
    `  inspection      ${sim.endpoint}/sim/inventory   faults: ${sim.endpoint}/sim/faults`,
    `  machines        ${machines}`,
  ];
  if (sim.marketplace)
    lines.push(
      `  marketplace     ${sim.endpoint}/sim/marketplace  (kgd marketplace --sim ${sim.endpoint})`,
    );
  lines.push(
    '',
    'Point the service at it:',
    `  KGD_CLOUD_ENDPOINT=${sim.endpoint} KGD_CLOUD_REGION=${sim.region} KGD_CLOUD_PROJECT_ID=${sim.projectId} \\`,
    `  KGD_CLOUD_AK=${sim.ak} KGD_CLOUD_SK=${sim.sk} kgd serve`,
    '',
  );
  return lines.join('\n');
}

/**
 * The machines behind the servers: the real SSH hosts when running as root (they need Linux
 * namespaces), a recording fake otherwise or when asked.
 */
async function openHosts(
  flags: Flags,
  io: CliIo,
  deps: SimulatorCommandDeps,
  logger: ReturnType<typeof createLogger>,
): Promise<{ hosts: SimulatedHosts; machines: string }> {
  if (deps.hosts) return { hosts: await deps.hosts(), machines: 'provided' };
  const isRoot = process.getuid?.() === 0;
  const kind = flags.hosts ?? (isRoot ? 'real' : 'recording');
  if (kind !== 'real' && kind !== 'recording') usage(`--hosts ${kind}: expected real or recording`);
  if (kind === 'recording') {
    return {
      hosts: createRecordingHosts(),
      machines: 'recorded only (no SSH endpoints; run as root with --hosts real for them)',
    };
  }
  if (!isRoot) usage('--hosts real: the simulated machines need root (Linux namespaces)');
  const sshPort =
    flags.sshPort === undefined
      ? 22
      : number(
          '--ssh-port',
          flags.sshPort,
          (n) => Number.isInteger(n) && n > 0 && n <= 65535,
          'a port between 1 and 65535',
        );
  const dataDir = path.resolve(
    flags.dataDir ?? path.join(io.env.KGD_DATA_DIR ?? './.kgd', 'simulator'),
  );
  return {
    hosts: createSimulatedHosts({ dataDir, sshPort, logger }),
    machines: `real: SSH on port ${sshPort} of each EIP (127.20.0.0/16), disks in ${dataDir}`,
  };
}

const waitForSignal = () =>
  new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });

/**
 * `kgd simulator`: the simulated Huawei Cloud (and KooGallery) on one local port, printing the
 * endpoint and the credentials it accepts (KGD_SIM_AK / KGD_SIM_SK / KGD_SIM_PROJECT_ID, or the
 * documented defaults). Runs until SIGINT or SIGTERM.
 *
 * @example
 *   kgd simulator --port 8090 --time-scale 0.1
 */
export function registerSimulatorCommand(
  program: Command,
  io: CliIo,
  deps: SimulatorCommandDeps,
): void {
  program
    .command('simulator')
    .description('run the simulated Huawei Cloud (ECS, VPC) and KooGallery on a local port')
    .option('--port <port>', 'TCP port (0 picks a free one)', '8090')
    .option(
      '--host <address>',
      'address to listen on (the /sim API is unauthenticated: keep it local)',
      '127.0.0.1',
    )
    .option('--time-scale <factor>', 'multiplies simulated durations: 1 realistic, 0.01 fast', '1')
    .option('--seed <n>', 'seed for jitter and fault rates (repeatable runs)')
    .option('--region <id>', 'region the simulator plays', simulatorDefaults.region)
    .option('--no-v3', 'answer 404 to VPC v3, as regions without it do')
    .option('--faults <file>', 'JSON fault spec applied at start (same body as POST /sim/faults)')
    .option('--no-marketplace', 'serve the cloud only')
    .option('--json', 'print the endpoint and credentials as JSON')
    .option(
      '--hosts <kind>',
      'real (SSH endpoints in Linux namespaces, needs root) or recording (no machines)',
    )
    .option('--data-dir <dir>', "where the machines' disks live (default $KGD_DATA_DIR/simulator)")
    .option('--ssh-port <port>', 'port SSH answers on at every EIP (default 22 as root, else 2222)')
    .option('--eip-pool <cidr>', 'loopback addresses handed out as EIPs', simulatorDefaults.eipPool)
    .option(
      '--templates <dir>',
      "register the private images of the image products in this templates directory (the seller's published images)",
    )
    .action(async (flags: Flags) => {
      const port = number(
        '--port',
        flags.port,
        (n) => Number.isInteger(n) && n >= 0 && n <= 65535,
        'a port between 0 and 65535',
      );
      const timeScale = number('--time-scale', flags.timeScale, (n) => n >= 0, 'a number >= 0');
      const seed =
        flags.seed === undefined
          ? undefined
          : number('--seed', flags.seed, Number.isInteger, 'a whole number');
      if (!/^[a-z]{2}(-[a-z0-9]+)+$/.test(flags.region))
        usage(`--region ${flags.region}: expected a region id such as cn-north-4`);
      const faults = flags.faults ? readFaults(flags.faults) : undefined;
      const stderr = new Writable({
        write(chunk, _enc, done) {
          io.stderr.write(chunk.toString());
          done();
        },
      });
      const logger = createLogger({
        level: io.env.KGD_LOG_LEVEL ?? 'warn',
        destination: stderr,
        name: 'kgd-simulator',
      });
      const { hosts, machines } = await openHosts(flags, io, deps, logger);
      if (flags.eipPool && !/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}\/(1[6-9]|2\d|30)$/.test(flags.eipPool))
        usage(
          `--eip-pool ${flags.eipPool}: expected a loopback CIDR such as 127.20.0.0/16 (/16 to /30)`,
        );
      const creds = credentials(io.env);
      const sim = await startSimulator({
        ...creds,
        ...(flags.eipPool ? { eipPool: flags.eipPool } : {}),
        port,
        host: flags.host,
        timeScale,
        seed,
        region: flags.region,
        faults: { ...faults, ...(flags.v3 ? {} : { v3Available: false }) },
        hosts,
        logger,
        // The order query API accepts the simulator's own AK/SK: the seller's credentials here.
        marketplace: flags.marketplace
          ? { logger, config: { sellerCredentials: [{ ak: creds.ak, sk: creds.sk }] } }
          : undefined,
      }).catch(async (err: Error) => {
        await hosts.close();
        throw new CliError(`cannot start the simulator on ${flags.host}:${port}: ${err.message}`);
      });
      if (flags.templates) {
        try {
          for (const image of deps.productImages(path.resolve(flags.templates)))
            sim.registerImage(image);
        } catch (err) {
          await sim.stop();
          await hosts.close();
          throw err;
        }
      }
      io.stdout.write(
        flags.json
          ? `${JSON.stringify({ endpoint: sim.endpoint, region: sim.region, azs: sim.azs, projectId: sim.projectId, ak: sim.ak, sk: sim.sk, marketplace: sim.marketplace !== undefined, machines })}\n`
          : banner(sim, machines),
      );
      try {
        await (deps.until ?? waitForSignal)(sim);
      } finally {
        await sim.stop();
        await hosts.close();
      }
    });
}
