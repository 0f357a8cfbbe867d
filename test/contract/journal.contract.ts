import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Journal, JournalLevel } from '../../src/deployments/ports.js';
import type { Clock } from '../../src/platform/clock.js';
import { createSecretScrubber, type SecretScrubber } from '../../src/platform/logger.js';
import { createManualClock } from '../support/fakes/manual-clock.js';

/** A journal entry as an operator reads it back (absent step or stream as null). */
interface ReadEntry {
  instanceId: string | null;
  level: JournalLevel;
  step: string | null;
  stream: string | null;
  message: string;
}

/** One `Journal` ready for the suite, scrubbing with the scrubber it was given. */
export interface JournalUnderTest {
  journal: Journal;
  /** The operation's entries as kept, oldest first, read out of band. */
  entries(operationId: string): Promise<ReadEntry[]>;
  close(): Promise<void>;
}

/**
 * The `Journal` contract (deployments/ports.ts), run against the in-memory fake and
 * `createJournal` over PostgreSQL: entries kept in order, every registered secret scrubbed.
 *
 * @example
 *   describeJournalContract('the fake', async ({ scrubber }) => { const journal = createFakeJournal({ scrubber }); ... });
 */
export function describeJournalContract(
  name: string,
  makeJournal: (deps: { scrubber: SecretScrubber; clock: Clock }) => Promise<JournalUnderTest>,
): void {
  describe(`Journal contract: ${name}`, () => {
    const clock = createManualClock({ start: new Date('2026-11-23T08:00:00.000Z') });
    const scrubber = createSecretScrubber();
    let t: JournalUnderTest;
    beforeAll(async () => {
      t = await makeJournal({ scrubber, clock });
    });
    afterAll(() => t?.close());

    it("keeps an operation's entries in order, with their level, step and stream", async () => {
      const write = (entry: Parameters<Journal['write']>[0]) => t.journal.write(entry);
      await write({ operationId: 'op-j1', instanceId: 'kgi-j1', level: 'info', message: 'begin' });
      await write({
        operationId: 'op-j1',
        instanceId: 'kgi-j1',
        level: 'debug',
        step: 'create-server',
        message: 'job 0123 running',
      });
      await write({ operationId: 'op-j2', instanceId: null, level: 'info', message: 'other' });
      await write({
        operationId: 'op-j1',
        instanceId: 'kgi-j1',
        level: 'warn',
        step: 'install',
        stream: 'stderr',
        message: 'apt: retrying',
      });
      await write({
        operationId: 'op-j1',
        instanceId: 'kgi-j1',
        level: 'error',
        step: 'install',
        stream: 'stdout',
        message: 'exit 1',
      });
      expect(await t.entries('op-j1')).toEqual([
        { instanceId: 'kgi-j1', level: 'info', step: null, stream: null, message: 'begin' },
        {
          instanceId: 'kgi-j1',
          level: 'debug',
          step: 'create-server',
          stream: null,
          message: 'job 0123 running',
        },
        {
          instanceId: 'kgi-j1',
          level: 'warn',
          step: 'install',
          stream: 'stderr',
          message: 'apt: retrying',
        },
        {
          instanceId: 'kgi-j1',
          level: 'error',
          step: 'install',
          stream: 'stdout',
          message: 'exit 1',
        },
      ]);
      expect(await t.entries('op-j2')).toEqual([
        { instanceId: null, level: 'info', step: null, stream: null, message: 'other' },
      ]);
      expect(await t.entries('op-none')).toEqual([]);
    });

    it('scrubs every registered secret from the message, from the moment it is registered', async () => {
      const line = (message: string) =>
        t.journal.write({
          operationId: 'op-j3',
          instanceId: 'kgi-j3',
          level: 'info',
          step: 'install',
          stream: 'stdout',
          message,
        });
      await line('password Kgd-Root-Pass-77 set');
      scrubber.add('Kgd-Root-Pass-77');
      scrubber.add('s3cr"et-value');
      await line('password Kgd-Root-Pass-77 set, again: Kgd-Root-Pass-77');
      await line('{"password":"s3cr\\"et-value"} and s3cr"et-value');
      expect((await t.entries('op-j3')).map((e) => e.message)).toEqual([
        'password Kgd-Root-Pass-77 set',
        'password [REDACTED] set, again: [REDACTED]',
        '{"password":"[REDACTED]"} and [REDACTED]',
      ]);
    });

    it('keeps the first 8000 characters of a message, scrubbed before it is cut', async () => {
      scrubber.add('Kgd-Long-Secret-9');
      await t.journal.write({
        operationId: 'op-j4',
        instanceId: 'kgi-j4',
        level: 'info',
        step: 'install',
        stream: 'stdout',
        // The secret straddles the cut: cutting first would leave half of it in the journal.
        message: `${'x'.repeat(7992)}Kgd-Long-Secret-9 and the rest`,
      });
      const [entry] = await t.entries('op-j4');
      expect(entry?.message).toBe(`${'x'.repeat(7992)}[REDACTE`);
    });
  });
}
