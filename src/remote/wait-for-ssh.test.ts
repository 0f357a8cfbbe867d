import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../test/support/fakes/manual-clock.js';
import { HostKeyMismatch, SshAuthFailed, SshUnreachable } from './errors.js';
import type { RemoteSession, SshTarget } from './remote-host.js';
import { waitBackoff, waitForSsh } from './wait-for-ssh.js';

const target: SshTarget = { host: '10.0.0.5', port: 22, username: 'root', password: 'pw' };
const session = { hostKey: 'SHA256:abc' } as Pick<RemoteSession, 'hostKey'> as RemoteSession;

/** A connect that fails with the given errors in turn, then succeeds. */
function scripted(errors: Error[]) {
  const calls: SshTarget[] = [];
  return {
    calls,
    connect: async (t: SshTarget) => {
      calls.push(t);
      const next = errors.shift();
      if (next) throw next;
      return session;
    },
  };
}

function deps() {
  const clock = createManualClock();
  const sleeps: number[] = [];
  return {
    sleeps,
    deps: {
      clock,
      random: () => 0,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        clock.advance(ms);
      },
    },
  };
}

const refused = () => new SshUnreachable('refused', 'refused');
const timedOut = () => new SshUnreachable('timeout', 'timeout');

describe('waitForSsh', () => {
  it('retries refused connections briskly, timeouts harder, until sshd answers', async () => {
    const { connect, calls } = scripted([refused(), refused(), timedOut(), timedOut(), refused()]);
    const { deps: d, sleeps } = deps();
    await expect(waitForSsh(connect, target, { timeoutMs: 60_000 }, d)).resolves.toBe(session);
    expect(calls).toHaveLength(6);
    // 250, ×1.5, then ×2 for timeouts, then a refusal caps the pause back at 2 s.
    expect(sleeps).toEqual([250, 375, 750, 1500, 2000]);
  });

  it('gives up at the deadline with the attempts and the last error', async () => {
    const errors = Array.from({ length: 100 }, refused);
    const { connect } = scripted(errors);
    const { deps: d, sleeps } = deps();
    const waiting = waitForSsh(connect, target, { timeoutMs: 5_000 }, d);
    await expect(waiting).rejects.toMatchObject({
      name: 'SshUnreachable',
      reason: 'refused',
      message: expect.stringMatching(/did not accept a session within 5000 ms \(\d+ attempts\)/),
    });
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(5_000);
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(waitBackoff.refused.maxDelayMs);
  });

  it('fails at once on permanent errors', async () => {
    for (const error of [
      new SshAuthFailed('wrong password'),
      new HostKeyMismatch('10.0.0.5:22', 'SHA256:a', 'SHA256:b'),
    ]) {
      const { connect, calls } = scripted([error]);
      await expect(waitForSsh(connect, target, { timeoutMs: 60_000 }, deps().deps)).rejects.toBe(
        error,
      );
      expect(calls).toHaveLength(1);
    }
  });

  it('never gives an attempt more time than is left, nor less than a second', async () => {
    const { connect, calls } = scripted([timedOut(), timedOut()]);
    const { deps: d } = deps();
    await waitForSsh(connect, { ...target, readyTimeoutMs: 30_000 }, { timeoutMs: 1_200 }, d);
    expect(calls.map((c) => c.readyTimeoutMs)).toEqual([1_200, 1_000, 1_000]);
  });

  it('reports each pause to onRetry', async () => {
    const { connect } = scripted([refused()]);
    const seen: number[] = [];
    await waitForSsh(
      connect,
      target,
      { timeoutMs: 10_000, onRetry: ({ attempt, delayMs }) => seen.push(attempt, delayMs) },
      deps().deps,
    );
    expect(seen).toEqual([1, 250]);
  });
});
