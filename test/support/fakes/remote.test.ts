import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createManualClock } from './manual-clock.js';
import { createFakeRemote } from './remote.js';

const target = { host: '10.0.0.5', port: 22, username: 'root', password: 'pw' };

describe('the fake remote', () => {
  it('waits through refusals on its fake clock and pins the host key on first use', async () => {
    const clock = createManualClock();
    const remote = createFakeRemote({ clock });
    const vm = remote.addMachine({ host: '10.0.0.5', password: 'pw' });
    vm.refuseConnections(3);
    const started = clock.now().getTime();
    const session = await remote.waitForSsh(target, { timeoutMs: 60_000 });
    expect(session.hostKey).toBe(vm.hostKey);
    expect(remote.attempts).toHaveLength(4);
    expect(clock.now().getTime() - started).toBeGreaterThan(0);

    const pinned = { ...target, expectedHostKey: session.hostKey };
    await expect(remote.connect(pinned)).resolves.toBeDefined();
    vm.rotateHostKey();
    await expect(remote.connect(pinned)).rejects.toMatchObject({ name: 'HostKeyMismatch' });
    await expect(remote.connect({ ...target, password: 'no' })).rejects.toMatchObject({
      name: 'SshAuthFailed',
    });
    await expect(
      remote.waitForSsh({ ...target, host: '10.9.9.9' }, { timeoutMs: 5_000 }),
    ).rejects.toMatchObject({ name: 'SshUnreachable' });
  });

  it('answers scripted commands, records them, and times out hanging ones', async () => {
    const remote = createFakeRemote();
    const vm = remote.addMachine({ host: '10.0.0.5', password: 'pw' });
    vm.onExec(/install/, { exitCode: 0, stdout: 'step 1\nstep 2\n' });
    vm.onExec('migrate', { hang: true });
    const session = await remote.connect(target);
    const lines: string[] = [];
    const run = await session.exec('./install.sh', {
      cwd: '/opt/app',
      onOutput: (l) => lines.push(l.text),
    });
    expect(run).toMatchObject({ exitCode: 0, stdout: 'step 1\nstep 2\n', timedOut: false });
    expect(lines).toEqual(['step 1', 'step 2']);
    expect(await session.exec('./migrate', { timeoutMs: 1_000 })).toMatchObject({
      timedOut: true,
    });
    expect(await session.exec('uptime')).toMatchObject({ exitCode: 0, stdout: '' });
    expect(vm.commands.map((c) => [c.command, c.cwd])).toEqual([
      ['./install.sh', '/opt/app'],
      ['./migrate', undefined],
      ['uptime', undefined],
    ]);

    const hanging = session.exec('./migrate');
    vm.dropSessions();
    await expect(hanging).rejects.toMatchObject({ name: 'SshConnectionLost' });
    await expect(session.exec('true')).rejects.toMatchObject({ name: 'SshConnectionLost' });
  });

  it('stores uploads, skips identical ones and serves downloads', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kgd-fake-remote-'));
    try {
      const remote = createFakeRemote();
      const vm = remote.addMachine({ host: '10.0.0.5', password: 'pw' });
      const session = await remote.connect(target);
      const local = path.join(dir, 'pkg.tar.gz');
      await writeFile(local, 'package', { mode: 0o640 });
      expect((await session.upload(local, '/opt/pkg.tar.gz')).skipped).toBe(false);
      expect((await session.upload(local, '/opt/pkg.tar.gz')).skipped).toBe(true);
      expect(vm.files.get('/opt/pkg.tar.gz')).toMatchObject({ mode: 0o640 });
      await session.uploadContent('licensed', '/opt/license', 0o600);
      await session.download('/opt/license', path.join(dir, 'license'));
      expect(await readFile(path.join(dir, 'license'), 'utf8')).toBe('licensed');
      await expect(session.download('/nope', path.join(dir, 'x'))).rejects.toMatchObject({
        name: 'TransferFailed',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
