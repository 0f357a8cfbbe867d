import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineHarness, type EngineHarness, KEY } from '../support/engine-harness.js';
import { kgd } from './support/cli-run.js';

/**
 * The operator drill, scripted: a buyer's deploy fails on an injected permanent fault (every
 * flavor the product allows is sold out in every AZ). The operator finds it with `kgd`, reads
 * why, reruns it from a named step with another flavor, waits for it, and the audit log says
 * who did it and why. The `kgd` commands run in-process against the same database as the
 * engine, as a CLI on the host of `kgd serve` would.
 */
let h: EngineHarness;
let dir: string;
let env: Record<string, string>;
const run = (...argv: string[]) => kgd(env, argv);
const operator = `cli:${userInfo().username}`;

beforeAll(async () => {
  h = await createEngineHarness();
  dir = mkdtempSync(path.join(tmpdir(), 'kgd-drill-'));
  env = {
    DATABASE_URL: h.databaseUrl,
    KGD_MASTER_KEY: randomBytes(32).toString('base64'),
    KGD_MARKETPLACE_KEYS: KEY,
    KGD_DATA_DIR: path.join(dir, 'data'),
    KGD_TEMPLATES_DIR: path.resolve('templates'),
  };
});

afterAll(async () => {
  h?.sim.faults.clear();
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('operator drill', () => {
  it('a deploy fails on a permanent fault; kgd deployments rerun --from --flavor makes it ready; the audit log says who and why', async () => {
    for (const az of ['cn-north-4a', 'cn-north-4b', 'cn-north-4c'])
      for (const flavor of ['s6.small.1', 's6.medium.2']) h.sim.faults.soldOut({ az, flavor });
    const id = await h.buy({ customerName: 'Night Shift Ltd' });
    await h.waitForStatus(id, 'failed');

    // 03:00: the alert names the deployment; the operator finds it among the failed ones.
    const failed = await run('deployments', 'list', '--status', 'failed', '--json');
    expect(failed.code, failed.stderr).toBe(0);
    expect(JSON.parse(failed.stdout).items.map((d: { id: string }) => d.id)).toEqual([id]);

    // Why it failed: the failed step, the error, and what to do.
    const shown = await run('deployments', 'show', id);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`Deployment ${id}: failed`);
    expect(shown.stdout).toContain('deploy failed at wait-server-job');
    expect(shown.stdout).toContain('no capacity for any choice');
    expect(shown.stdout).toContain('rerun with --flavor/--az');
    expect(shown.stdout).toMatch(/ {2}create-server\s+ok/);

    // A rerun needs a reason, and names the steps when the one asked for does not exist.
    expect((await run('deployments', 'rerun', id, '--flavor', 's6.large.2')).code).toBe(2);
    const typo = await run('deployments', 'rerun', id, '--from', 'create-srv', '--reason', 'x');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('has no step create-srv (steps: plan, ensure-network');

    const rerun = await run(
      'deployments',
      'rerun',
      id,
      '--from',
      'create-server',
      '--flavor',
      's6.large.2',
      '--reason',
      's6.small.1 and s6.medium.2 sold out in every AZ: use s6.large.2',
      '--wait',
      '--timeout',
      '2',
    );
    expect(rerun.code, rerun.stderr + rerun.stdout).toBe(0);
    expect(rerun.stdout).toContain('from plan with {"flavor":"s6.large.2"}');
    expect(rerun.stdout).toMatch(/op_\S+ succeeded/);

    const after = JSON.parse((await run('deployments', 'show', id, '--json')).stdout);
    expect(after.deployment).toMatchObject({ status: 'ready', flavor: 's6.large.2' });
    expect(after.operations[0]).toMatchObject({
      status: 'succeeded',
      overrides: { flavor: 's6.large.2' },
    });
    // Completed steps before the plan were not redone: the network was made once.
    expect(h.sim.inspect().vpcs.filter((v) => v.tags['kgd-instance'] === id)).toHaveLength(1);
    expect(h.sim.inspect().servers.filter((s) => s.tags['kgd-instance'] === id)).toHaveLength(1);

    const audit = JSON.parse((await run('audit', 'list', '--target', id, '--json')).stdout);
    const done = audit.filter((a: { result: string }) => a.result === 'ok');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({
      actor: operator,
      action: 'deployment.rerun',
      target: id,
      reason: 's6.small.1 and s6.medium.2 sold out in every AZ: use s6.large.2',
      before: {
        instance: { status: 'failed' },
        operation: { status: 'failed', failedStep: 'wait-server-job' },
      },
      after: {
        instance: { status: 'deploying' },
        operation: { status: 'running', overrides: { flavor: 's6.large.2' } },
      },
    });
    const table = await run('audit', 'list', '--target', id);
    expect(table.stdout).toContain(operator);
    expect(table.stdout).toContain('deployment.rerun');

    const logs = await run('deployments', 'logs', id);
    expect(logs.stdout).toContain(`rerun from plan by ${operator}`);
    expect(logs.stdout).toMatch(/finish\s+deploy succeeded/);

    // Running it again is refused: it succeeded (exit 4), and that attempt is audited too.
    const again = await run('deployments', 'rerun', id, '--reason', 'again?');
    expect(again.code).toBe(4);
    const refusals = JSON.parse(
      (await run('audit', 'list', '--target', id, '--json')).stdout,
    ).filter((a: { result: string }) => a.result === 'refused');
    expect(refusals.map((a: { reason: string }) => a.reason)).toContain('again?');
  });

  it('a second failed deployment: rerun without waiting, follow its log to the end, then release it by hand', async () => {
    const id = await h.buy({ customerName: 'Second Shift Ltd' });
    await h.waitForStatus(id, 'failed');
    const rerun = await run(
      'deployments',
      'rerun',
      id,
      '--flavor',
      's6.large.2',
      '--reason',
      'sold out',
      '--json',
    );
    expect(rerun.code, rerun.stderr).toBe(0);
    const { operationId, from } = JSON.parse(rerun.stdout);
    expect(from).toBe('plan');
    // logs -f prints as the rerun goes and returns once nothing is pending or running.
    const follow = await run('deployments', 'logs', id, '--follow');
    expect(follow.code, follow.stderr).toBe(0);
    expect(follow.stdout).toContain('rerun from plan by');
    expect(follow.stdout).toContain('hook-start/start:stdout  license');
    expect(follow.stdout.trimEnd()).toMatch(/finish\s+deploy succeeded$/);
    expect((await h.instance(id)).status).toBe('ready');

    const released = await run(
      'deployments',
      'release',
      id,
      '--reason',
      'buyer asked support to remove it',
      '--wait',
      '--timeout',
      '2',
    );
    expect(released.code, released.stderr + released.stdout).toBe(0);
    expect(released.stdout).toMatch(/op_\S+ succeeded/);
    expect((await h.instance(id)).status).toBe('released');
    expect(h.sim.inspect().servers.filter((s) => s.tags['kgd-instance'] === id)).toEqual([]);
    const audit = JSON.parse((await run('audit', 'list', '--target', id, '--json')).stdout);
    expect(audit.map((a: { action: string; result: string }) => `${a.action} ${a.result}`)).toEqual(
      ['deployment.release ok', 'deployment.rerun ok'],
    );
    expect(audit[1].after.operation.id).toBe(operationId);
  });
});
