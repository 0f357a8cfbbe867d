import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Permanent, Retryable } from '../../../src/platform/errors.js';
import {
  HostKeyMismatch,
  SshAuthFailed,
  SshConnectionLost,
  SshUnreachable,
  TransferFailed,
} from '../../../src/remote/errors.js';
import { createManualClock } from './manual-clock.js';
import { createFakeRemote } from './remote.js';

const target = { host: '10.0.0.5', port: 22, username: 'root', password: 'pw' };
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function setup() {
  const clock = createManualClock({ auto: true });
  const remote = createFakeRemote({ clock });
  const vm = remote.addMachine({ host: '10.0.0.5', password: 'pw', privateKeys: ['KEY'] });
  return { clock, remote, vm, started: clock.now().getTime() };
}

describe('the fake remote: connecting', () => {
  it('fails scripted attempts, refused at once and timed out after readyTimeoutMs', async () => {
    const { clock, remote, vm, started } = setup();
    vm.refuseConnections(1);
    vm.refuseConnections(1, 'timeout');
    await expect(remote.connect(target)).rejects.toMatchObject({ reason: 'refused' });
    expect(clock.now().getTime()).toBe(started);
    const timedOut = remote.connect({ ...target, readyTimeoutMs: 7_000 });
    await expect(timedOut).rejects.toBeInstanceOf(SshUnreachable);
    await expect(timedOut).rejects.toMatchObject({ reason: 'timeout' });
    expect(clock.now().getTime()).toBe(started + 7_000);
    await (await remote.connect(target)).close();
    expect(remote.attempts.map((a) => [a.readyTimeoutMs, a.at.getTime() - started])).toEqual([
      [20_000, 0],
      [7_000, 0],
      [20_000, 7_000],
    ]);
    // No machine there: nothing answers.
    await expect(remote.connect({ ...target, host: '10.9.9.9' })).rejects.toMatchObject({
      reason: 'timeout',
    });
  });

  it('is unreachable until a time on the clock', async () => {
    const { clock, remote, vm, started } = setup();
    vm.unreachableUntil(new Date(started + 1_000), 'timeout');
    await expect(remote.connect({ ...target, readyTimeoutMs: 600 })).rejects.toBeInstanceOf(
      Retryable,
    );
    await expect(remote.connect({ ...target, readyTimeoutMs: 600 })).rejects.toBeInstanceOf(
      Retryable,
    );
    expect(clock.now().getTime()).toBe(started + 1_200);
    await (await remote.connect(target)).close();
  });

  it('pins host keys, checks credentials and user, and names a bad target field', async () => {
    const { remote, vm } = setup();
    const first = await remote.connect(target);
    expect(first.hostKey).toBe(vm.hostKey);
    const pinned = { ...target, expectedHostKey: first.hostKey };
    await (await remote.connect(pinned)).close();
    const rotated = vm.rotateHostKey();
    const mismatch = remote.connect(pinned);
    await expect(mismatch).rejects.toBeInstanceOf(HostKeyMismatch);
    await expect(mismatch).rejects.toMatchObject({ expected: first.hostKey, presented: rotated });
    await expect(remote.connect({ ...target, password: 'no' })).rejects.toBeInstanceOf(
      SshAuthFailed,
    );
    await expect(remote.connect({ ...target, username: 'admin' })).rejects.toBeInstanceOf(
      Permanent,
    );
    await (await remote.connect({ ...target, password: undefined, privateKey: 'KEY' })).close();
    await expect(remote.connect({ ...target, port: 0 })).rejects.toThrow(/port/);
    expect(vm.openSessions).toBe(1);
    await first.close();
    expect(vm.openSessions).toBe(0);
  });
});

describe('the fake remote: commands', () => {
  it('answers scripted commands, latest script first, and records them', async () => {
    const { remote, vm, clock } = setup();
    vm.onExec(/install/, { stdout: 'step 1\nstep 2\n', stderr: 'warn\n' });
    vm.onExec('install --broken', () => ({ exitCode: 3, stderr: 'no space left\n' }));
    vm.onExec('die', { signal: 'TERM' });
    const session = await remote.connect(target);
    const lines: string[] = [];
    const run = await session.exec('./install.sh', {
      cwd: '/opt/app',
      env: { A: 'b' },
      stdin: 'input',
      onOutput: (l) => lines.push(`${l.stream}:${l.text}`),
    });
    expect(run).toEqual({
      exitCode: 0,
      signal: null,
      timedOut: false,
      stdout: 'step 1\nstep 2\n',
      stderr: 'warn\n',
    });
    expect(lines).toEqual(['stdout:step 1', 'stdout:step 2', 'stderr:warn']);
    expect(await session.exec('./install --broken')).toMatchObject({ exitCode: 3 });
    expect(await session.exec('die')).toMatchObject({ exitCode: null, signal: 'TERM' });
    expect(await session.exec('uptime')).toMatchObject({ exitCode: 0, stdout: '' });
    await expect(session.exec('true', { env: { 'BAD NAME': 'x' } })).rejects.toThrow(
      /env\.BAD NAME/,
    );
    expect(vm.commands.map((c) => [c.command, c.cwd, c.env, c.stdin])).toEqual([
      ['./install.sh', '/opt/app', { A: 'b' }, 'input'],
      ['./install --broken', undefined, undefined, undefined],
      ['die', undefined, undefined, undefined],
      ['uptime', undefined, undefined, undefined],
    ]);
    expect(vm.commands[0]!.at).toEqual(clock.now());
    await session.close();
  });

  it('runs commands for their duration on the clock, killing them at their timeout', async () => {
    const { remote, vm, clock, started } = setup();
    vm.onExec('migrate', { stdout: 'started\n', durationMs: 90_000 });
    vm.onExec('serve', { stdout: 'listening\n', hang: true });
    const session = await remote.connect(target);
    expect(await session.exec('migrate')).toMatchObject({ exitCode: 0, timedOut: false });
    expect(clock.now().getTime()).toBe(started + 90_000);
    const lines: string[] = [];
    expect(
      await session.exec('migrate', { timeoutMs: 1_000, onOutput: (l) => lines.push(l.text) }),
    ).toEqual({
      exitCode: null,
      signal: 'KILL',
      timedOut: true,
      stdout: 'started\n',
      stderr: '',
    });
    expect(lines).toEqual(['started']);
    expect(clock.now().getTime()).toBe(started + 91_000);
    expect(await session.exec('serve', { timeoutMs: 5_000 })).toMatchObject({ timedOut: true });
    await session.close();
  });

  it('fails a hanging command when its session closes or drops, and every later call', async () => {
    const { remote, vm } = setup();
    vm.onExec('serve', { hang: true });
    const closing = await remote.connect(target);
    const hung = closing.exec('serve');
    await closing.close();
    await closing.close();
    await expect(hung).rejects.toBeInstanceOf(SshConnectionLost);
    await expect(closing.exec('true')).rejects.toBeInstanceOf(SshConnectionLost);

    const dropping = await remote.connect(target);
    const slow = dropping.exec('serve');
    vm.dropSessions();
    await expect(slow).rejects.toBeInstanceOf(SshConnectionLost);
    await expect(dropping.uploadContent('x', '/tmp/x')).rejects.toBeInstanceOf(Retryable);
    expect(vm.openSessions).toBe(0);
  });
});

describe('the fake remote: uploads', () => {
  it('stores and records uploads, skips identical ones, and refuses read-only places', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kgd-fake-remote-'));
    try {
      const { remote, vm } = setup();
      const session = await remote.connect(target);
      const local = path.join(dir, 'pkg.tar.gz');
      await writeFile(local, 'package', { mode: 0o640 });
      expect(await session.upload(local, '/opt/pkg.tar.gz')).toEqual({
        skipped: false,
        bytes: 7,
        sha256: sha256('package'),
      });
      expect((await session.upload(local, '/opt/pkg.tar.gz', { mode: 0o600 })).skipped).toBe(true);
      expect(vm.files.get('/opt/pkg.tar.gz')).toEqual({
        content: Buffer.from('package'),
        mode: 0o600,
      });
      await session.uploadContent('licensed', '/opt/license', 0o400);
      await session.uploadContent('licensed again', '/opt/license');
      expect(vm.uploads.map((u) => [u.remotePath, u.skipped, u.mode, u.sha256])).toEqual([
        ['/opt/pkg.tar.gz', false, 0o640, sha256('package')],
        ['/opt/pkg.tar.gz', true, 0o600, sha256('package')],
        ['/opt/license', false, 0o400, sha256('licensed')],
        ['/opt/license', false, 0o644, sha256('licensed again')],
      ]);
      await expect(session.uploadContent('x', '/usr/lib/x')).rejects.toBeInstanceOf(TransferFailed);
      await expect(session.uploadContent('x', '/tmp/x', 0o10000)).rejects.toThrow(/mode/);
      await expect(session.upload(dir, '/tmp/x')).rejects.toThrow(/not a regular file/);
      await session.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
