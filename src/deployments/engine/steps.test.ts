import { describe, expect, it } from 'vitest';
import { createFakeJournal } from '../../../test/support/fakes/journal.js';
import { createManualClock } from '../../../test/support/fakes/manual-clock.js';
import { memoryCheckpoint, type StepRecord } from '../../../test/support/fakes/memory-steps.js';
import { createFakeStore } from '../../../test/support/fakes/store.js';
import { Cancelled, CapacityExhausted, Permanent, Retryable } from '../../platform/errors.js';
import { createHalt } from './halt.js';
import { type PolicyName, retrySchedule, stepPolicies } from './policies.js';
import { createSteps } from './steps.js';

/** The runner alone, on the manual clock and the in-memory checkpoint, for one operation. */
function runner(options: { cancellable?: boolean } = {}) {
  const clock = createManualClock({ auto: true });
  const start = clock.now().getTime();
  const store = createFakeStore({ clock });
  const journal = createFakeJournal();
  store.seedOperation({ id: 'op_1', kind: 'deploy', status: 'running' });
  const record: StepRecord[] = [];
  const owner = {
    operationId: 'op_1',
    instanceId: 'kgi-1',
    kind: 'deploy' as const,
    cancellable: options.cancellable ?? true,
  };
  return {
    clock,
    journal,
    record,
    /** A run of the workflow over the shared record: the first, or a replay after a crash. */
    steps: (stopAfter?: number) =>
      createSteps(
        { clock, journal, store, random: () => 0 },
        owner,
        memoryCheckpoint(record, stopAfter === undefined ? {} : { stopAfter }),
      ),
    /** As the cancel command records it: the runner's watch sees the column. */
    cancel: () => {
      store.operations.get('op_1')!.cancel_requested_at = clock.now();
    },
    /** Clock time since the runner was made. */
    elapsed: () => clock.now().getTime() - start,
  };
}

/** A step body that records the clock time of each attempt and fails as told. */
function attempts<T>(clock: { now(): Date }, behave: (n: number) => T | Error) {
  const at: number[] = [];
  const t0 = clock.now().getTime();
  const fn = async () => {
    at.push(clock.now().getTime() - t0);
    const r = behave(at.length);
    if (r instanceof Error) throw r;
    return r;
  };
  return { at, fn };
}

describe('Steps: retries', () => {
  it('retries a Retryable after the wait the other side asked for, then returns its value', async () => {
    const r = runner();
    const step = attempts(r.clock, (n) =>
      n === 1 ? new Retryable('throttled', { retryAfterMs: 60_000 }) : { serverId: 'srv-1' },
    );
    await expect(r.steps().run('create-server', 'local', step.fn)).resolves.toEqual({
      serverId: 'srv-1',
    });
    // local: 1 s between attempts, but the answer asked for a minute
    expect(step.at).toEqual([0, 60_000]);
    expect(r.journal.lines('create-server')).toEqual([
      'create-server: create-server: throttled (attempt 1 of 4, retrying in 60 s)',
    ]);
  });

  it.each(Object.keys(stepPolicies) as PolicyName[])(
    'policy %s: backs off between attempts and gives up after its retries',
    async (name) => {
      const policy = stepPolicies[name];
      const r = runner();
      const step = attempts(r.clock, () => new Retryable('the API answers 503'));
      const failure = await r
        .steps()
        .run('ensure-network', name, step.fn)
        .catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(Retryable);
      expect((failure as Error).message).toBe('the API answers 503');
      const gaps = step.at.slice(1).map((t, i) => t - step.at[i]!);
      // 5 s, 10 s, 20 s... up to the policy's longest wait, as long as its budget lasts
      expect(gaps).toEqual(retrySchedule(policy));
      expect(gaps.slice(0, 3)).toEqual(
        [0, 1, 2]
          .slice(0, Math.min(3, gaps.length))
          .map((i) => policy.intervalMs * policy.backoffRate ** i),
      );
    },
  );

  it('does not retry a Permanent failure, nor a CapacityExhausted one', async () => {
    for (const error of [
      new Permanent('quota exhausted', { code: 'Ecs.0001' }),
      new CapacityExhausted('sold out', { code: 'Ecs.0319' }),
    ]) {
      const r = runner();
      const step = attempts(r.clock, () => error);
      const failure = await r
        .steps()
        .run('create-server', 'cloud', step.fn)
        .catch((e: unknown) => e);
      expect(step.at).toEqual([0]);
      expect(failure).toBeInstanceOf(error.constructor);
      expect(failure).toMatchObject({ message: error.message, code: error.code });
    }
  });

  it('treats an unclassified error as Permanent: not retried, said to be unexpected', async () => {
    const r = runner();
    const step = attempts(
      r.clock,
      () => new TypeError("Cannot read properties of undefined ('id')"),
    );
    const failure = await r
      .steps()
      .run('plan', 'local', step.fn)
      .catch((e: unknown) => e);
    expect(step.at).toEqual([0]);
    expect(failure).toBeInstanceOf(Permanent);
    expect(failure).toMatchObject({
      message: "unexpected: Cannot read properties of undefined ('id')",
      code: 'unexpected',
    });
  });
});

describe('Steps: the database unavailable', () => {
  /** What pg's pool throws when no connection frees up within its connect timeout. */
  const poolTimeout = () => new Error('timeout exceeded when trying to connect');

  it('runs a step again after a pool-connect timeout, whatever its policy: retried, not fatal', async () => {
    const r = runner();
    const step = attempts(r.clock, (n) => (n <= 2 ? poolTimeout() : { serverId: 'srv-1' }));
    // 'none' retries nothing of its own: the timeouts were the database's, not the step's.
    await expect(r.steps().run('wait-server-job', 'none', step.fn)).resolves.toEqual({
      serverId: 'srv-1',
    });
    expect(step.at).toEqual([0, 1_000, 3_000]);
    expect(r.record).toEqual([
      { name: 'wait-server-job', output: '{"ok":true,"value":{"serverId":"srv-1"}}' },
    ]);
    expect(r.journal.lines('wait-server-job')).toEqual([
      'wait-server-job: wait-server-job: database unavailable (timeout exceeded when trying to connect); running the step again in 1 s',
      'wait-server-job: wait-server-job: database unavailable (timeout exceeded when trying to connect); running the step again in 2 s',
    ]);
  });

  it('with a lease, runs it again once the lease is renewed (the database answers again)', async () => {
    const r = runner();
    let renewals = 0;
    const lease = {
      isHeld: () => true,
      held: async () => {},
      renewed: async () => {
        renewals++;
      },
      signal: () => new AbortController().signal,
    };
    const steps = createSteps(
      { clock: r.clock, journal: r.journal, store: createFakeStore({ clock: r.clock }), lease },
      { operationId: 'op_1', instanceId: 'kgi-1', kind: 'deploy', cancellable: false },
      memoryCheckpoint(r.record),
    );
    const step = attempts(r.clock, (n) => (n === 1 ? poolTimeout() : 'done'));
    await expect(steps.run('plan', 'none', step.fn)).resolves.toBe('done');
    expect(step.at).toHaveLength(2);
    expect(renewals).toBe(1);
  });

  it('stops waiting for the database when the operation is cancelled', async () => {
    const r = runner();
    const step = attempts(r.clock, () => {
      r.cancel();
      return poolTimeout();
    });
    const failure = await r
      .steps()
      .run('wait-ssh', 'none', step.fn)
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Cancelled);
    expect(step.at).toEqual([0]);
  });
});

describe('Steps: checkpoints', () => {
  it('replays recorded values and failures without running the steps again', async () => {
    const r = runner();
    const first = r.steps();
    const plan = await first.run('plan', 'local', async () => ({
      flavor: 's6.small.1',
      at: r.clock.now(),
    }));
    // JSON: the first run sees what a replay will, a date as its string
    expect(plan).toEqual({ flavor: 's6.small.1', at: '2026-01-01T00:00:00.000Z' });
    const refused = await first
      .run('create-server', 'cloud', async () => {
        throw new Permanent('flavor not found', { code: 'Ecs.0005' });
      })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Permanent);
    const exhausted = await first
      .run('wait-ssh', 'none', async () => {
        throw new Retryable('sshd did not answer');
      })
      .catch((e: unknown) => e);
    expect(exhausted).toBeInstanceOf(Retryable);
    expect(r.record.map((s) => s.name)).toEqual(['plan', 'create-server', 'wait-ssh']);

    const replay = r.steps();
    const never = async (): Promise<never> => {
      throw new Error('a recorded step ran again');
    };
    await expect(replay.run('plan', 'local', never)).resolves.toEqual(plan);
    const again = await replay.run('create-server', 'cloud', never).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(Permanent);
    expect(again).toMatchObject({ message: 'flavor not found', code: 'Ecs.0005' });
    expect(again).toEqual(refused);
    const waited = await replay.run('wait-ssh', 'none', never).catch((e: unknown) => e);
    expect(waited).toBeInstanceOf(Retryable); // the same class: the flow branches the same way
    expect(replay.failedStep).toBe('wait-ssh');
  });

  it('after a crash, the replay runs only the steps not recorded', async () => {
    const r = runner();
    const ran: string[] = [];
    const step = (name: string) => async () => {
      ran.push(name);
      return name;
    };
    const crashed = r.steps(1);
    void (async () => {
      await crashed.run('ensure-network', 'cloud', step('ensure-network'));
      await crashed.run('create-server', 'cloud', step('create-server'));
    })();
    await until(() => r.record.length === 1);
    expect(ran).toEqual(['ensure-network']);

    const replay = r.steps();
    await replay.run('ensure-network', 'cloud', step('ensure-network'));
    await replay.run('create-server', 'cloud', step('create-server'));
    expect(ran).toEqual(['ensure-network', 'create-server']);
    expect(r.record.map((s) => s.name)).toEqual(['ensure-network', 'create-server']);
  });
});

describe('Steps: failedStep', () => {
  it('names the last step started while none failed', async () => {
    const steps = runner().steps();
    await steps.run('plan', 'local', async () => 1);
    await steps.run('ensure-network', 'cloud', async () => 2);
    expect(steps.failedStep).toBe('ensure-network');
  });

  it('names the first of several side by side to fail', async () => {
    const r = runner();
    const steps = r.steps();
    const results = await Promise.allSettled([
      steps.run('ensure-network', 'cloud', async () => {
        await r.clock.sleep(2_000);
        throw new Permanent('VPC quota exhausted');
      }),
      steps.run('ensure-security-group', 'cloud', async () => {
        throw new Permanent('security group quota exhausted');
      }),
    ]);
    expect(results.map((x) => x.status)).toEqual(['rejected', 'rejected']);
    expect(steps.failedStep).toBe('ensure-security-group');
  });

  it('names the step that ended the flow, not an earlier best-effort one whose failure was caught', async () => {
    const steps = runner().steps();
    await steps
      .run('hook-stop', 'none', async () => {
        throw new Permanent('the stop hook failed with exit code 1');
      })
      .catch(() => undefined);
    await steps.run('delete-servers', 'cloud', async () => 0);
    await expect(
      steps.run('delete-network', 'cloud', async () => {
        throw new Permanent('VPC refused');
      }),
    ).rejects.toThrow('VPC refused');
    expect(steps.failedStep).toBe('delete-network');
  });
});

describe('Steps: cancellation', () => {
  it('does not start a step once the operation is cancelled', async () => {
    const r = runner();
    r.cancel();
    let ran = false;
    const failure = await r
      .steps()
      .run('create-server', 'cloud', async () => {
        ran = true;
      })
      .catch((e: unknown) => e);
    expect(ran).toBe(false);
    expect(failure).toBeInstanceOf(Cancelled);
  });

  it('aborts a running step when the operation is cancelled, and records the cancellation', async () => {
    const r = runner();
    const hour = 3_600_000;
    const failure = await r
      .steps()
      .run('hook-install', 'hook', async (s) => {
        void r.clock.sleep(10_000).then(r.cancel); // an operator, ten seconds in
        await s.sleep(hour);
        return 'finished';
      })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Cancelled);
    expect(r.elapsed()).toBeLessThan(hour);
    const replayed = await r
      .steps()
      .run('hook-install', 'hook', async () => 'ran again')
      .catch((e: unknown) => e);
    expect(replayed).toBeInstanceOf(Cancelled);
  });

  it('ends a wait between retries when the operation is cancelled meanwhile', async () => {
    const r = runner();
    const hour = 20 * 60_000; // a long wait, within the cloud policy's budget
    const step = attempts(r.clock, () => {
      void r.clock.sleep(10_000).then(r.cancel); // ten seconds into the hour's wait
      return new Retryable('throttled', { retryAfterMs: hour });
    });
    const failure = await r
      .steps()
      .run('create-server', 'cloud', step.fn)
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Cancelled);
    expect(step.at).toEqual([0]);
    // The wait ended at the cancellation, not when the next attempt was due.
    expect(r.elapsed()).toBeLessThan(hour);
  });

  it('runs a step of a non-cancellable operation (a release) to its end whatever is asked', async () => {
    const r = runner({ cancellable: false });
    r.cancel();
    const step = attempts(r.clock, (n) => (n === 1 ? new Retryable('in use') : 'deleted'));
    await expect(r.steps().run('delete-network', 'cloud', step.fn)).resolves.toBe('deleted');
    expect(step.at).toHaveLength(2);
  });
});

/** Waits for a state of in-memory fakes (macrotask turns, bounded): never for time. */
async function until(condition: () => boolean) {
  for (let i = 0; i < 1_000 && !condition(); i++) await new Promise((r) => setImmediate(r));
  expect(condition()).toBe(true);
}

describe('Steps: the service stopping', () => {
  it('aborts the running step, records nothing, starts no other; a replay runs it again', async () => {
    const r = runner();
    const halt = createHalt();
    const first = createSteps(
      { clock: r.clock, journal: r.journal, store: createFakeStore({ clock: r.clock }), halt },
      { operationId: 'op_1', instanceId: 'kgi-1', kind: 'release', cancellable: false },
      memoryCheckpoint(r.record),
    );
    await first.run('plan', 'local', async () => 'planned');
    let aborted: unknown;
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const flow = (async () => {
      await first.run('upload', 'ssh', async (s) => {
        started();
        await new Promise<void>((_resolve, reject) =>
          s.signal.addEventListener('abort', () => {
            aborted = s.signal.reason;
            reject(s.signal.reason);
          }),
        );
      });
      await first.run('start', 'local', async () => 'never');
      return 'finished';
    })();
    let settled = false;
    void flow.finally(() => {
      settled = true;
    });
    await running;
    // A release is not cancellable, yet a stop reaches it: the step is abandoned, not failed.
    expect(await halt.stop(5000)).toBe(0);
    expect(aborted).toBeInstanceOf(Cancelled);
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    expect(r.record.map((s) => s.name)).toEqual(['plan']);

    // After a restart the workflow replays: plan from its record, upload run again.
    const again = r.steps();
    expect(await again.run('plan', 'local', async () => 'not run')).toBe('planned');
    expect(await again.run('upload', 'ssh', async () => 'uploaded')).toBe('uploaded');
    expect(r.record.map((s) => s.name)).toEqual(['plan', 'upload']);
  });

  it('tells how many steps ignored their signal past the grace', async () => {
    const halt = createHalt();
    let release!: () => void;
    const stubborn = halt.guard(
      () =>
        new Promise<string>((resolve) => {
          release = () => resolve('late');
        }),
    );
    expect(await halt.stop(50)).toBe(1);
    release();
    const outcome = await Promise.race([
      stubborn,
      new Promise((resolve) => setTimeout(() => resolve('parked'), 50)),
    ]);
    expect(outcome).toBe('parked');
  });
});
