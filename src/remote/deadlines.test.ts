import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarpit, type Tarpit } from '../../test/support/tarpit-ssh.js';
import { waitFor } from '../../test/support/wait-for.js';
import { guardAddress, TargetRefused } from '../platform/address-guard.js';
import { Cancelled } from '../platform/errors.js';
import { createSilentLogger } from '../platform/logger.js';
import { SshConnectionLost, SshUnreachable, TransferStalled } from './errors.js';
import { fromSsh2 } from './from-ssh2.js';
import type { SshTarget } from './remote-host.js';

/**
 * The SSH adapter against servers that accept and then stall: every operation ends within its
 * deadline, and a cancellation or a close ends it within seconds.
 */
let pit: Tarpit;
const remote = fromSsh2({ logger: createSilentLogger() });
beforeAll(async () => {
  pit = await startTarpit();
});
afterAll(() => pit?.close());

const target = (port: number, extra: Partial<SshTarget> = {}): SshTarget => ({
  host: '127.0.0.1',
  port,
  username: 'root',
  password: 'anything',
  ...extra,
});

async function timed<T>(work: Promise<T>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  const error = await work.then(
    () => undefined,
    (err: unknown) => err,
  );
  return { error, ms: performance.now() - started };
}

describe('deadlines and cancellation of remote operations', () => {
  it('a server that accepts TCP and never speaks fails the connect at its deadline', async () => {
    const { error, ms } = await timed(remote.connect(target(pit.tcpPort, { readyTimeoutMs: 800 })));
    expect(error).toBeInstanceOf(SshUnreachable);
    expect((error as SshUnreachable).reason).toBe('timeout');
    expect(ms).toBeGreaterThanOrEqual(700);
    expect(ms).toBeLessThan(5_000);
  });

  it('a connect is cancelled at once by its signal', async () => {
    const controller = new AbortController();
    const before = pit.tcpConnections;
    const connecting = timed(
      remote.connect(target(pit.tcpPort, { readyTimeoutMs: 60_000 }), {
        signal: controller.signal,
      }),
    );
    // Cancelled once the server holds the connection (the stalled handshake is what is cut).
    await waitFor('the tarpit to hold the connection', () => pit.tcpConnections > before);
    controller.abort();
    const { error, ms } = await connecting;
    expect(error).toBeInstanceOf(Cancelled);
    expect(ms).toBeLessThan(3_000);
  });

  it('a refused peer address ends the connection before any SSH byte is sent', async () => {
    const before = pit.tcpBytes;
    const { error } = await timed(
      remote.connect(
        target(pit.tcpPort, {
          checkAddress: (address) => guardAddress(address, { deny: [], allow: [] }),
        }),
      ),
    );
    expect(error).toBeInstanceOf(TargetRefused);
    expect((error as Error).message).toBe(
      'refused to connect to the buyer-named address 127.0.0.1: loopback',
    );
    expect(pit.tcpBytes).toBe(before);
  });

  it('an upload to a server that never reads fails below the minimum throughput', async () => {
    const session = await remote.connect(
      target(pit.sshPort, { minTransfer: { bytesPerSecond: 65_536, windowMs: 1_000 } }),
    );
    try {
      const { error, ms } = await timed(
        session.uploadContent(Buffer.alloc(4 * 1024 * 1024, 7), '/opt/app/pkg.bin'),
      );
      expect(error).toBeInstanceOf(TransferStalled);
      expect((error as Error).message).toMatch(
        /^upload of \/opt\/app\/pkg\.bin to 127\.0\.0\.1:\d+ stalled: \d+ bytes in 1 s, below the minimum of 65536 bytes\/s$/,
      );
      expect(ms).toBeLessThan(4_000);
    } finally {
      await session.close();
    }
  });

  it('a command the server never ends is closed after its deadline and the kill grace', async () => {
    const session = await remote.connect(target(pit.sshPort));
    try {
      const started = performance.now();
      const result = await session.exec('sleep 1000', { timeoutMs: 500 });
      expect(result).toMatchObject({ timedOut: true, exitCode: null });
      // The deadline, then 3 s for the KILL to end it, then the channel is closed (a peer
      // ignoring even that is dropped 3 s later).
      expect(performance.now() - started).toBeLessThan(8_000);
    } finally {
      await session.close();
    }
  });

  it('closing the session (a cancel) ends a stalled upload within seconds', async () => {
    const session = await remote.connect(target(pit.sshPort));
    const before = pit.execs;
    const upload = timed(session.uploadContent('license', '/opt/app/license.key'));
    // Closed once the upload's channel is open and stalled on the server.
    await waitFor('the upload to stall on the tarpit', () => pit.execs > before);
    void session.close();
    const { error, ms } = await upload;
    expect(error).toBeInstanceOf(SshConnectionLost);
    expect(ms).toBeLessThan(5_000);
  });
});
