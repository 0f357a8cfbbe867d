import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Permanent, Retryable } from '../../src/platform/errors.js';
import {
  HostKeyMismatch,
  SshAuthFailed,
  SshConnectionLost,
  SshUnreachable,
  TransferFailed,
} from '../../src/remote/errors.js';
import type {
  OutputLine,
  RemoteHost,
  RemoteSession,
  SshTarget,
} from '../../src/remote/remote-host.js';
import type { FakeReply } from '../support/fakes/remote.js';

/** A machine to run the contract against, through the `RemoteHost` under test. */
export interface RemoteHostContractTarget {
  remote: RemoteHost;
  /** Accepted: the machine's user and password. The contract's commands answer as listed below. */
  target: SshTarget;
  /** An endpoint whose connections are refused (nothing listens there). */
  refused: SshTarget;
  /** A file of the machine read out of band (not through `remote`); undefined when absent. */
  readFile(remotePath: string): Promise<{ content: Buffer; mode: number } | undefined>;
  /** The names in a directory of the machine, out of band. */
  listDir(remotePath: string): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * The commands the contract runs, each with the reply that describes what bash does with it: a
 * real machine runs the command, a fake is scripted with the reply. Both must then give the
 * caller the same result.
 */
export const contractCommands = {
  output: {
    command: 'echo one; echo two >&2; printf "héllo ✓\\nno newline"; exit 7',
    reply: { stdout: 'one\nhéllo ✓\nno newline', stderr: 'two\n', exitCode: 7 },
  },
  slow: {
    command: 'echo started; sleep 30; echo never',
    reply: { stdout: 'started\n', durationMs: 30_000 },
  },
  quick: { command: 'echo ok', reply: { stdout: 'ok\n' } },
  /** Runs until something stops it. */
  endless: { command: 'sleep 600', reply: { hang: true } },
} satisfies Record<string, { command: string; reply: FakeReply }>;

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/**
 * The behaviour every `RemoteHost` owes its callers: run against the fake
 * (remote-host.fake.test.ts) and against `fromSsh2` over a simulated machine
 * (remote-host.ssh2.test.ts), so the fake cannot drift from the real adapter.
 *
 * @example
 *   describeRemoteHostContract('the fake remote', async () => { ... return { remote, target, ... } });
 */
export function describeRemoteHostContract(
  name: string,
  makeTarget: () => Promise<RemoteHostContractTarget>,
): void {
  describe(`RemoteHost contract: ${name}`, () => {
    let t: RemoteHostContractTarget;
    let session: RemoteSession;
    let dir: string;
    beforeAll(async () => {
      t = await makeTarget();
      session = await t.remote.connect(t.target);
      dir = await mkdtemp(path.join(tmpdir(), 'kgd-remote-contract-'));
    });
    afterAll(async () => {
      await session?.close();
      await t?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    describe('connect', () => {
      it('opens a session presenting the host key, the same on every connection', async () => {
        expect(session.hostKey).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
        const pinned = await t.remote.connect({ ...t.target, expectedHostKey: session.hostKey });
        expect(pinned.hostKey).toBe(session.hostKey);
        await pinned.close();
      });

      it('fails with a Permanent HostKeyMismatch when another key was recorded', async () => {
        const recorded = `SHA256:${'A'.repeat(43)}`;
        const connecting = t.remote.connect({ ...t.target, expectedHostKey: recorded });
        await expect(connecting).rejects.toBeInstanceOf(HostKeyMismatch);
        await expect(connecting).rejects.toBeInstanceOf(Permanent);
        await expect(connecting).rejects.toMatchObject({
          expected: recorded,
          presented: session.hostKey,
        });
      });

      it('fails with a Permanent SshAuthFailed on a wrong password', async () => {
        const connecting = t.remote.connect({ ...t.target, password: 'Not-The-Password-1' });
        await expect(connecting).rejects.toBeInstanceOf(SshAuthFailed);
        await expect(connecting).rejects.toBeInstanceOf(Permanent);
      });

      it('fails with a Retryable SshUnreachable when the connection is refused', async () => {
        const connecting = t.remote.connect(t.refused);
        await expect(connecting).rejects.toBeInstanceOf(SshUnreachable);
        await expect(connecting).rejects.toBeInstanceOf(Retryable);
        await expect(connecting).rejects.toMatchObject({ reason: 'refused' });
      });

      it('names the missing or bad field of a target', async () => {
        await expect(t.remote.connect({ ...t.target, port: 0 })).rejects.toThrow(/port/);
        await expect(t.remote.connect({ ...t.target, password: undefined })).rejects.toThrow(
          /password or privateKey/,
        );
      });
    });

    describe('exec', () => {
      it('reports exit code and output, and streams each line as it comes', async () => {
        const lines: OutputLine[] = [];
        const result = await session.exec(contractCommands.output.command, {
          onOutput: (line) => lines.push(line),
        });
        expect(result).toEqual({
          exitCode: 7,
          signal: null,
          timedOut: false,
          stdout: 'one\nhéllo ✓\nno newline',
          stderr: 'two\n',
        });
        // Each stream in order; how the two interleave is up to the machine.
        const of = (stream: OutputLine['stream']) =>
          lines.filter((l) => l.stream === stream).map((l) => l.text);
        expect(of('stdout')).toEqual(['one', 'héllo ✓', 'no newline']);
        expect(of('stderr')).toEqual(['two']);
        expect(await session.exec(contractCommands.quick.command)).toMatchObject({
          exitCode: 0,
          stdout: 'ok\n',
        });
      });

      it('kills a command at its timeout: timedOut, signal KILL, the output so far', async () => {
        const lines: string[] = [];
        const result = await session.exec(contractCommands.slow.command, {
          timeoutMs: 500,
          onOutput: (line) => lines.push(line.text),
        });
        expect(result).toEqual({
          exitCode: null,
          signal: 'KILL',
          timedOut: true,
          stdout: 'started\n',
          stderr: '',
        });
        expect(lines).toEqual(['started']);
      });

      it('fails a running command with a Retryable SshConnectionLost when the session closes', async () => {
        const other = await t.remote.connect(t.target);
        const running = other.exec(contractCommands.endless.command).catch((e: unknown) => e);
        await new Promise((resolve) => setImmediate(resolve));
        await other.close();
        const outcome = await running;
        expect(outcome).toBeInstanceOf(SshConnectionLost);
        expect(outcome).toBeInstanceOf(Retryable);
      });
    });

    describe('upload', () => {
      it('writes atomically with the local mode, skips an identical file, re-modes it', async () => {
        const local = path.join(dir, 'package.bin');
        const content = Buffer.from('the package, version 1\n'.repeat(1000));
        await writeFile(local, content, { mode: 0o640 });
        const remotePath = '/opt/contract/pkg/package.bin';

        expect(await session.upload(local, remotePath)).toEqual({
          skipped: false,
          bytes: content.length,
          sha256: sha256(content),
        });
        expect(await t.readFile(remotePath)).toEqual({ content, mode: 0o640 });
        // Nothing left beside it: the content went to a temporary name, then was renamed.
        expect(await t.listDir('/opt/contract/pkg')).toEqual(['package.bin']);

        expect(await session.upload(local, remotePath, { mode: 0o600 })).toEqual({
          skipped: true,
          bytes: content.length,
          sha256: sha256(content),
        });
        expect((await t.readFile(remotePath))?.mode).toBe(0o600);

        const changed = Buffer.from('the package, version 2\n'.repeat(1000));
        await writeFile(local, changed);
        expect((await session.upload(local, remotePath)).skipped).toBe(false);
        expect((await t.readFile(remotePath))?.content).toEqual(changed);
        expect(await t.listDir('/opt/contract/pkg')).toEqual(['package.bin']);
      });

      it('uploads content from memory, 0644 by default, and skips it when identical', async () => {
        const license = 'license: signed\n';
        expect(await session.uploadContent(license, '/srv/contract/license.txt')).toEqual({
          skipped: false,
          bytes: license.length,
          sha256: sha256(license),
        });
        expect(await t.readFile('/srv/contract/license.txt')).toEqual({
          content: Buffer.from(license),
          mode: 0o644,
        });
        const again = await session.uploadContent(license, '/srv/contract/license.txt', 0o400);
        expect(again.skipped).toBe(true);
        expect((await t.readFile('/srv/contract/license.txt'))?.mode).toBe(0o400);
      });

      it('fails with a Retryable TransferFailed naming a path it cannot write', async () => {
        const uploading = session.uploadContent('x', '/usr/lib/kgd-contract');
        await expect(uploading).rejects.toBeInstanceOf(TransferFailed);
        await expect(uploading).rejects.toBeInstanceOf(Retryable);
        await expect(uploading).rejects.toThrow('/usr/lib/kgd-contract');
        await expect(session.uploadContent('x', '/tmp/contract-x', 0o10000)).rejects.toThrow(
          /mode/,
        );
      });
    });

    describe('close', () => {
      it('is safe twice, and every later call fails with SshConnectionLost', async () => {
        const other = await t.remote.connect(t.target);
        await other.close();
        await other.close();
        await expect(other.exec(contractCommands.quick.command)).rejects.toBeInstanceOf(
          SshConnectionLost,
        );
        await expect(other.uploadContent('x', '/tmp/contract-closed')).rejects.toBeInstanceOf(
          SshConnectionLost,
        );
      });
    });
  });
}
