import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLease, type Lease, LeaseRevoked } from '../../src/deployments/engine/lease.js';
import { createReaper } from '../../src/deployments/engine/reaper.js';
import { createInstanceSecrets } from '../../src/deployments/model/instance-secrets.js';
import { createDeploymentStore } from '../../src/deployments/store.js';
import { systemClock } from '../../src/platform/clock.js';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.js';
import { createIds } from '../../src/platform/ids.js';
import { createSecretScrubber, createSilentLogger } from '../../src/platform/logger.js';
import { createSecretBox } from '../../src/platform/secrets.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertInstanceRow } from '../support/store-rows.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Fencing on a real PostgreSQL: a replica that stops renewing its lease (paused, as a process
 * stopped with SIGSTOP is) has it lapse first; only a margin later does another replica revoke
 * its epoch and take its work over; revived, it cannot write, and learns it is revoked.
 */
// Long enough that a starved event loop (a busy 2-core machine) does not lapse B's lease between
// two renewals; the margin still has to pass before A is taken over.
const LEASE_MS = 2000;
const MARGIN_MS = 1000;

let testDb: TestDatabase;
let handle: DatabaseHandle;
beforeAll(async () => {
  testDb = await createTestDatabase('kgd_fencing');
  handle = await openDatabase({ url: testDb.url, poolSize: 6, logger: createSilentLogger() });
});
afterAll(async () => {
  await handle?.close();
  await testDb?.drop();
});

function replica(id: string) {
  const revocations: LeaseRevoked[] = [];
  const lease = createLease({
    db: handle.db,
    executorId: id,
    appVersion: 'test',
    logger: createSilentLogger(),
    leaseMs: LEASE_MS,
    onRevoked: (err) => revocations.push(err),
  });
  const secrets = createInstanceSecrets(createSecretBox(randomBytes(32)), createSecretScrubber());
  const store = createDeploymentStore({
    db: handle.db,
    clock: systemClock,
    ids: createIds(systemClock),
    secrets,
    lease,
  });
  return { lease, store, revocations };
}

function reaperOf(lease: Lease, handedOver: string[][], pending: Record<string, string[]>) {
  return createReaper({
    db: handle.db,
    lease,
    clock: systemClock,
    logger: createSilentLogger(),
    heartbeatMs: 100,
    leaseMs: LEASE_MS,
    marginMs: MARGIN_MS,
    pendingOf: async (executorId) => pending[executorId] ?? [],
    resume: async (ids) => void handedOver.push(ids),
  });
}

const instanceStatus = async (id: string) =>
  (
    await handle.db
      .selectFrom('instances')
      .select(['status', 'status_detail'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
  ).status_detail;

describe('fencing', () => {
  it('a paused replica lapses, is taken over only after the margin, and cannot write once revived', async () => {
    await insertInstanceRow(handle.db, { id: 'kgi-fence-1', status: 'deploying' }, new Date());
    const a = replica('replica-a');
    const b = replica('replica-b');
    await a.lease.acquire();
    await b.lease.acquire();
    const handedOver: string[][] = [];
    const reaper = reaperOf(b.lease, handedOver, { 'replica-a': ['op_a1', 'op_a2'] });

    // A writes while it holds its lease.
    await a.store.updateInstance('kgi-fence-1', { status_detail: 'written by A' });
    expect(await instanceStatus('kgi-fence-1')).toBe('written by A');

    // A stops renewing (paused). Its lease lapses locally: steps see it and stop. B renews on
    // meanwhile, as its heartbeat does (left unrenewed, B lapsed too, and then had to hold its
    // lease a lease and a margin unbroken before leading — which a starved machine may not give).
    const lapsed = a.lease.signal();
    await waitFor(
      'A to see its lease lapse',
      async () => {
        await b.lease.renew();
        return !a.lease.isHeld() && lapsed.aborted;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );

    // B renews and leads; it takes nothing over before A's heartbeat is lease + margin old.
    const reaped = await waitFor(
      'B to take A over',
      async () => {
        const r = await reaper.tick();
        return r.length > 0 ? r : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    expect(reaped).toEqual(['replica-a']);
    expect(handedOver).toEqual([['op_a1', 'op_a2']]);
    const row = await handle.db
      .selectFrom('executors')
      .select(['heartbeat_at', 'reaped_at'])
      .where('id', '=', 'replica-a')
      .executeTakeFirstOrThrow();
    expect(row.reaped_at!.getTime() - row.heartbeat_at.getTime()).toBeGreaterThanOrEqual(
      LEASE_MS + MARGIN_MS,
    );

    // A is revived: its writes are refused and change nothing; it learns it was revoked.
    await expect(
      a.store.updateInstance('kgi-fence-1', { status_detail: 'written by A after takeover' }),
    ).rejects.toBeInstanceOf(LeaseRevoked);
    await expect(a.store.pinHostKey('kgi-fence-1', 'ssh-ed25519 AAAA')).rejects.toBeInstanceOf(
      LeaseRevoked,
    );
    expect(await instanceStatus('kgi-fence-1')).toBe('written by A');
    expect(a.revocations).toHaveLength(1);
    await expect(a.lease.renew()).rejects.toBeInstanceOf(LeaseRevoked);
    expect(a.lease.isHeld()).toBe(false);
    // A step waiting for the lease never runs again in this process.
    const resumed = await Promise.race([
      a.lease.held().then(() => 'held'),
      new Promise((r) => setTimeout(() => r('still waiting'), 300)),
    ]);
    expect(resumed).toBe('still waiting');

    // B writes on; the handover is repeated while A's workflows are still assigned to it.
    await b.store.updateInstance('kgi-fence-1', { status_detail: 'written by B' });
    expect(await instanceStatus('kgi-fence-1')).toBe('written by B');
    await reaper.tick();
    expect(handedOver).toHaveLength(2);

    // A restarted (a new process) takes its lease back under a new epoch and writes again.
    const a2 = replica('replica-a');
    await a2.lease.acquire();
    await a2.store.updateInstance('kgi-fence-1', { status_detail: 'written by A, restarted' });
    expect(await instanceStatus('kgi-fence-1')).toBe('written by A, restarted');
    await reaper.stop();
    await a2.lease.release();
    await b.lease.release();
  }, 120_000);

  it('a write in flight when the takeover comes commits before it, never after', async () => {
    await insertInstanceRow(handle.db, { id: 'kgi-fence-2', status: 'deploying' }, new Date());
    const c = replica('replica-c');
    const d = replica('replica-d');
    await c.lease.acquire();
    await d.lease.acquire();
    const reaper = reaperOf(d.lease, [], {});
    // C passes its fence, then is paused inside its transaction past lease + margin.
    let resume!: () => void;
    const paused = new Promise<void>((r) => {
      resume = r;
    });
    const write = handle.db.transaction().execute(async (tx) => {
      await c.lease.fence(tx);
      await paused;
      await tx
        .updateTable('instances')
        .set({ status_detail: 'C, fenced before the takeover' })
        .where('id', '=', 'kgi-fence-2')
        .execute();
    });
    await waitFor('C to lapse', () => !c.lease.isHeld(), { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, LEASE_MS + MARGIN_MS));
    let reapedAt: number | undefined;
    const reaping = waitFor(
      'D to take C over',
      async () => {
        if ((await reaper.tick()).length === 0) return undefined;
        reapedAt = Date.now();
        return reapedAt;
      },
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    // The takeover waits on C's open transaction.
    await new Promise((r) => setTimeout(r, 300));
    expect(reapedAt).toBeUndefined();
    resume();
    await write;
    await reaping;
    expect(await instanceStatus('kgi-fence-2')).toBe('C, fenced before the takeover');
    await expect(
      c.store.updateInstance('kgi-fence-2', { status_detail: 'C after' }),
    ).rejects.toBeInstanceOf(LeaseRevoked);
    expect(await instanceStatus('kgi-fence-2')).toBe('C, fenced before the takeover');
    await reaper.stop();
    await d.lease.release();
  }, 120_000);

  it('a replica just back from a lapse takes nobody over until the others had time to renew', async () => {
    const e = replica('replica-e');
    const f = replica('replica-f');
    await e.lease.acquire();
    await f.lease.acquire();
    // Both stop renewing (the database was away for everyone); E comes back first.
    await waitFor('both to lapse', () => !e.lease.isHeld() && !f.lease.isHeld(), {
      timeoutMs: 30_000,
    });
    await new Promise((r) => setTimeout(r, LEASE_MS + MARGIN_MS));
    const reaper = reaperOf(e.lease, [], {});
    expect(await reaper.tick()).toEqual([]);
    // F renews in time: nobody is taken over.
    await f.lease.renew();
    expect(await reaper.tick()).toEqual([]);
    expect(f.revocations).toEqual([]);
    await reaper.stop();
    await e.lease.release();
    await f.lease.release();
  }, 120_000);
});
