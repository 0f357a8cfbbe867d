import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../test/support/fakes/manual-clock.js';
import { createFakeRemote } from '../../test/support/fakes/remote.js';
import { Cancelled, Permanent, Retryable } from '../platform/errors.js';
import { HostKeyMismatch, SshAuthFailed, SshUnreachable } from './errors.js';
import type { RemoteHost, SshTarget } from './remote-host.js';
import { waitBackoff, waitForSsh } from './wait-for-ssh.js';

const target: SshTarget = { host: '10.0.0.5', port: 22, username: 'root', password: 'pw' };

/** A fake machine at `target` on an auto-advancing clock, and the pauses `waitForSsh` takes. */
function setup(options: { auto?: boolean } = {}) {
  const clock = createManualClock({ auto: options.auto ?? true });
  const remote = createFakeRemote({ clock });
  const vm = remote.addMachine({ host: target.host, password: 'pw' });
  const pauses: number[] = [];
  const wait = (t: SshTarget, timeoutMs: number, signal?: AbortSignal) =>
    waitForSsh(remote, t, {
      clock,
      timeoutMs,
      signal,
      random: () => 0,
      onRetry: ({ delayMs }) => pauses.push(delayMs),
    });
  return { clock, remote, vm, pauses, wait, started: clock.now().getTime() };
}

describe('waitForSsh', () => {
  it('retries refused connections briskly, timeouts harder, until sshd answers', async () => {
    const { remote, vm, pauses, wait } = setup();
    vm.refuseConnections(2, 'refused');
    vm.refuseConnections(2, 'timeout');
    vm.refuseConnections(1, 'refused');
    const session = await wait(target, 60_000);
    expect(session.hostKey).toBe(vm.hostKey);
    expect(remote.attempts).toHaveLength(6);
    // 250, ×1.5, then ×2 for timeouts, then a refusal caps the pause back at 0.5 s.
    expect(pauses).toEqual([250, 375, 750, 1500, 500]);
    await session.close();
  });

  it('connects once the machine is reachable at a time on the clock', async () => {
    const { clock, vm, wait, started } = setup();
    const up = new Date(started + 42_000);
    vm.unreachableUntil(up);
    const session = await wait(target, 300_000);
    expect(clock.now().getTime()).toBeGreaterThanOrEqual(up.getTime());
    // Refusals poll at most 0.5 s apart: sshd is found within a pause of starting.
    expect(clock.now().getTime() - up.getTime()).toBeLessThanOrEqual(
      waitBackoff.refused.maxDelayMs,
    );
    await session.close();
  });

  it('gives up at the deadline with a Retryable naming the attempts and the last error', async () => {
    const { vm, pauses, wait } = setup();
    vm.refuseConnections(100);
    const waiting = wait(target, 5_000);
    await expect(waiting).rejects.toBeInstanceOf(SshUnreachable);
    await expect(waiting).rejects.toBeInstanceOf(Retryable);
    await expect(waiting).rejects.toMatchObject({
      reason: 'refused',
      message: expect.stringMatching(
        /did not accept a session within 5000 ms \(\d+ attempts\); last error: .*refused/,
      ),
      cause: expect.any(SshUnreachable),
    });
    expect(pauses.reduce((a, b) => a + b, 0)).toBe(5_000);
    expect(Math.max(...pauses)).toBeLessThanOrEqual(waitBackoff.refused.maxDelayMs);
  });

  it('fails at once on permanent errors', async () => {
    for (const [change, type] of [
      [{ password: 'wrong' }, SshAuthFailed],
      [{ expectedHostKey: 'SHA256:recorded-before' }, HostKeyMismatch],
    ] as const) {
      const { remote, wait, clock, started } = setup();
      const waiting = wait({ ...target, ...change }, 60_000);
      await expect(waiting).rejects.toBeInstanceOf(type);
      await expect(waiting).rejects.toBeInstanceOf(Permanent);
      expect(remote.attempts).toHaveLength(1);
      expect(clock.now().getTime()).toBe(started);
    }
  });

  it('never gives an attempt more time than is left, nor less than a second', async () => {
    const { remote, vm, wait } = setup();
    vm.refuseConnections(1, 'refused');
    vm.refuseConnections(1, 'timeout');
    const waiting = wait({ ...target, readyTimeoutMs: 30_000 }, 1_200);
    await expect(waiting).rejects.toMatchObject({ name: 'SshUnreachable', reason: 'timeout' });
    // 1 200 ms left at first; 950 after the 250 ms pause, raised to the 1 s minimum.
    expect(remote.attempts.map((a) => a.readyTimeoutMs)).toEqual([1_200, 1_000]);
  });

  it('spreads pauses by jitter, and reports each to onRetry', async () => {
    const clock = createManualClock({ auto: true });
    const remote = createFakeRemote({ clock });
    remote.addMachine({ host: target.host, password: 'pw' }).refuseConnections(2);
    const seen: [number, number, string][] = [];
    const session = await waitForSsh(remote, target, {
      clock,
      timeoutMs: 10_000,
      random: () => 0.5,
      onRetry: ({ attempt, delayMs, error }) => seen.push([attempt, delayMs, error.name]),
    });
    // Each pause is cut by up to 20 %: half of it at 0.5.
    expect(seen).toEqual([
      [1, 225, 'SshUnreachable'],
      [2, 338, 'SshUnreachable'],
    ]);
    await session.close();
  });

  it('ends with Cancelled at once when aborted during a pause', async () => {
    const { clock, vm, wait, remote, started } = setup({ auto: false });
    vm.refuseConnections(100);
    const abort = new AbortController();
    const waiting = wait(target, 60_000, abort.signal);
    await waitUntil(() => clock.pending() === 1);
    abort.abort();
    await expect(waiting).rejects.toBeInstanceOf(Cancelled);
    expect(remote.attempts).toHaveLength(1);
    expect(clock.now().getTime()).toBe(started);
  });

  it('ends with Cancelled at once when aborted during an attempt, closing a late session', async () => {
    const { clock, remote, vm } = setup({ auto: false });
    // An attempt that takes 5 s of the clock, then succeeds.
    const slow: RemoteHost = {
      connect: async (t) => {
        await clock.sleep(5_000);
        return remote.connect(t);
      },
    };
    const abort = new AbortController();
    const waiting = waitForSsh(slow, target, { clock, timeoutMs: 60_000, signal: abort.signal });
    await waitUntil(() => clock.pending() === 1);
    abort.abort(new Error('release requested'));
    await expect(waiting).rejects.toThrow(new Cancelled('release requested'));
    clock.advance(5_000);
    await waitUntil(() => remote.attempts.length === 1 && vm.openSessions === 0);

    const already = waitForSsh(remote, target, { clock, timeoutMs: 60_000, signal: abort.signal });
    await expect(already).rejects.toBeInstanceOf(Cancelled);
    expect(remote.attempts).toHaveLength(1);
  });
});

/** Lets promise chains run until `done` holds (a bounded number of macrotask turns). */
async function waitUntil(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 100 && !done(); turn++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(done()).toBe(true);
}
