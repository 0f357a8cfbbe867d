import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { fromHuaweiSdk } from '../../src/cloud/huawei-adapter.js';
import { parseHuaweiCloudSettings } from '../../src/cloud/huawei-settings.js';
import { CliError, type CliIo } from '../../src/platform/cli-io.js';
import { systemClock } from '../../src/platform/clock.js';
import { createSilentLogger } from '../../src/platform/logger.js';
import { registerSimulatorCommand, type SimulatorCommandDeps } from '../../src/simulator/cli.js';
import type { SimulatorHandle } from '../../src/simulator/server.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs `kgd simulator ...` in-process; `until` gets the running simulator, then it stops. */
async function run(
  argv: string[],
  env: Record<string, string>,
  until: SimulatorCommandDeps['until'],
) {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdin: Readable.from([]),
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env,
  };
  const program = new Command('kgd')
    .exitOverride()
    .configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  registerSimulatorCommand(program, io, { until, productImages: () => [] });
  for (const c of program.commands) c.exitOverride();
  let error: unknown;
  try {
    await program.parseAsync(
      ['simulator', ...(argv.includes('--hosts') ? [] : ['--hosts', 'recording']), ...argv],
      {
        from: 'user',
      },
    );
  } catch (e) {
    error = e;
  }
  return { out, err, error };
}

describe('kgd simulator', () => {
  it('prints the endpoint and credentials it accepts, which the real SDK can use', async () => {
    let seen: SimulatorHandle | undefined;
    const { out, error } = await run(
      ['--port', '0', '--time-scale', '0'],
      {
        KGD_SIM_AK: 'MYSIMAK000000001',
        KGD_SIM_SK: 'my-sim-secret',
        KGD_SIM_PROJECT_ID: 'abcdef0123456789abcdef0123456789',
      },
      async (sim) => {
        seen = sim;
        const cloud = fromHuaweiSdk({
          settings: parseHuaweiCloudSettings({
            region: sim.region,
            projectId: sim.projectId,
            ak: sim.ak,
            sk: sim.sk,
            endpoint: sim.endpoint,
          }),
          logger: createSilentLogger(),
          clock: systemClock,
        });
        expect(await cloud.findServersByTag('kgd-instance', 'kgi-1')).toEqual([]);
        const mp = await fetch(`${sim.endpoint}/sim/marketplace/config`);
        expect(mp.status).toBe(200);
      },
    );
    expect(error).toBeUndefined();
    expect(out).toContain(`cloud endpoint  ${seen!.endpoint}`);
    expect(out).toContain('AK              MYSIMAK000000001');
    expect(out).toContain('SK              my-sim-secret');
    expect(out).toContain('project id      abcdef0123456789abcdef0123456789');
    expect(out).toContain('/sim/marketplace');
    // Stopped afterwards.
    await expect(fetch(`${seen!.endpoint}/sim/inventory`)).rejects.toThrow();
  });

  it('uses the documented defaults, prints JSON, and applies a fault file and --no-v3', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kgd-sim-cli-'));
    dirs.push(dir);
    const file = path.join(dir, 'faults.json');
    writeFileSync(file, JSON.stringify({ soldOut: [{ az: 'cn-north-4c' }] }));
    const { out } = await run(
      ['--port', '0', '--json', '--no-v3', '--no-marketplace', '--faults', file],
      {},
      async (sim) => {
        const faults = (await (await fetch(`${sim.endpoint}/sim/faults`)).json()) as Record<
          string,
          unknown
        >;
        expect(faults).toMatchObject({ soldOut: [{ az: 'cn-north-4c' }], v3Available: false });
        expect((await fetch(`${sim.endpoint}/sim/marketplace/config`)).status).toBe(404);
      },
    );
    expect(JSON.parse(out)).toMatchObject({
      ak: 'KGDSIMULATORAKEY0001',
      sk: 'kgd-simulator-secret-key-not-for-real-use',
      projectId: '6b67642d73696d756c61746f72000001',
      region: 'cn-north-4',
      marketplace: false,
    });
  });

  it.each([
    [['--port', '70000'], {}, /--port 70000: expected a port/],
    [['--time-scale', '-1'], {}, /--time-scale -1/],
    [['--region', 'Beijing'], {}, /--region Beijing/],
    [[], { KGD_SIM_PROJECT_ID: 'xyz' }, /KGD_SIM_PROJECT_ID/],
    [
      ['--faults', '/nonexistent/faults.json'],
      {},
      /--faults \/nonexistent\/faults.json: cannot read/,
    ],
  ])('refuses %j with a message naming the setting', async (argv, env, message) => {
    const { error } = await run(
      ['--port', '0', ...argv],
      env as Record<string, string>,
      async () => {
        throw new Error('should not start');
      },
    );
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toMatch(message);
  });

  it.skipIf(process.getuid?.() !== 0)(
    'runs real SSH machines as root, their disks in --data-dir',
    async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'kgd-sim-cli-'));
      dirs.push(dir);
      const { out, error } = await run(
        ['--port', '0', '--hosts', 'real', '--data-dir', dir, '--ssh-port', '2299'],
        {},
        async (sim) => {
          expect(sim.hosts.list()).toEqual([]);
        },
      );
      expect(error).toBeUndefined();
      expect(out).toContain(
        `machines        real: SSH on port 2299 of each EIP (127.20.0.0/16), disks in ${dir}`,
      );
    },
  );

  it('refuses an unknown kind of hosts', async () => {
    const { error } = await run(['--port', '0', '--hosts', 'imaginary'], {}, async () => {});
    expect((error as Error).message).toMatch(/--hosts imaginary: expected real or recording/);
  });

  it('refuses an invalid fault file naming the field', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kgd-sim-cli-'));
    dirs.push(dir);
    const file = path.join(dir, 'faults.json');
    writeFileSync(
      file,
      JSON.stringify({ rules: [{ api: 'ecs.*', fault: { kind: 'throttle' }, rate: 2 }] }),
    );
    const { error } = await run(['--port', '0', '--faults', file], {}, async () => {});
    expect((error as Error).message).toMatch(/rules\.0\.rate/);
    expect(error).not.toBeInstanceOf(CommanderError);
  });
});
