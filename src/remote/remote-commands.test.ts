import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  endOfUpload,
  execCommand,
  parseReceiverState,
  receiveFileCommand,
} from './remote-commands.js';
import { shellQuote } from './shell-quote.js';

/** Runs the generated text the way sshd would: the login shell with -c. */
const sh = (command: string, input = '') =>
  execFileSync('/bin/sh', ['-c', command], { input, encoding: 'utf8' });

describe('the shell text the adapter sends', () => {
  it('quotes any word so the shell gives it back unchanged', () => {
    for (const word of ["it's", '$(id)', '`id`', 'a b\tc\nd', '"; rm -rf / #', '\\', '']) {
      expect(sh(`printf %s ${shellQuote(word)}`)).toBe(word);
    }
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });

  it('runs the command with bash, in cwd, with env, reading /dev/null unless stdin is given', () => {
    const cmd = 'echo "$0 $PWD $A $B"; [[ -n x ]] && echo bash; cat';
    const env = { A: "it's", B: '$HOME' };
    // Whatever the channel carries is not read: the command's stdin is /dev/null.
    const run = spawnSync('/bin/sh', ['-c', execCommand(cmd, { cwd: '/usr', env })], {
      input: 'ignored',
      encoding: 'utf8',
    });
    expect(run.stdout).toBe("bash /usr it's $HOME\nbash\n");
    expect(sh(execCommand('cat', { stdin: 'x' }), 'given')).toBe('given');
  });

  it('wraps the command in coreutils timeout a little after the client deadline', () => {
    expect(execCommand('sleep 1', { timeoutMs: 1_000 })).toContain('timeout --kill-after=2 3 bash');
    expect(execCommand('sleep 1', { timeoutMs: 1_001 })).toContain('timeout --kill-after=2 4 bash');
  });
});

describe('the receiving side of an upload, run by a local shell', () => {
  let dir: string;
  let noOpenssl: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kgd-remote-commands-'));
    // A PATH with the usual tools but no openssl, to exercise the sha256sum fallback.
    noOpenssl = path.join(dir, 'bin');
    await mkdir(noOpenssl);
    const tools = ['sh', 'cat', 'cut', 'stat', 'mkdir', 'dirname', 'chmod', 'mv', 'rm', 'dd'];
    for (const tool of [...tools, 'sha256sum']) {
      const where = execFileSync('/bin/sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
      await symlink(where.trim(), path.join(noOpenssl, tool));
    }
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const content = Buffer.from('the package\n');
  const digest = createHash('sha256').update(content).digest('hex');
  // The client's side of the conversation, all written up front: decision, bytes, end line.
  const send = (end = endOfUpload) =>
    Buffer.concat([Buffer.from('send\n'), content, Buffer.from(`${end}\n`)]);
  const receive = (target: string, input: Buffer | string, PATH: string, bytes = content.length) =>
    spawnSync('/bin/sh', ['-c', receiveFileCommand(target, { bytes, mode: 0o640 })], {
      input,
      encoding: 'utf8',
      env: { PATH },
    });

  for (const hasher of ['openssl', 'sha256sum']) {
    it(`writes atomically, and hashes an equal-sized target (${hasher})`, async () => {
      const PATH = hasher === 'openssl' ? (process.env.PATH ?? '') : noOpenssl;
      const target = path.join(dir, hasher, 'deep', 'file.txt');
      const first = receive(target, send(), PATH);
      expect(first.status).toBe(0);
      expect(parseReceiverState(first.stdout)).toEqual({ kind: 'absent' });
      expect(await readFile(target)).toEqual(content);
      expect((await stat(target)).mode & 0o777).toBe(0o640);
      // Same size: the receiver hashes its copy (with this hasher) and the client may keep it.
      const same = receive(target, 'keep\n', PATH);
      expect(same.stdout).toBe(`same-size 640\n${digest}\n`);
      expect(parseReceiverState(same.stdout.split('\n')[0]!)).toEqual({
        kind: 'same-size',
        mode: 0o640,
      });
      expect(parseReceiverState(receive(target, 'keep\n', PATH, 3).stdout)).toEqual({
        kind: 'differs',
      });

      // Bytes beyond the announced size put the stream out of step: refused.
      const overlong = receive(target, send(), PATH, content.length - 1);
      expect(overlong.status).toBe(4);
      expect(overlong.stderr).toMatch(/out of step/);
      const short = receive(target, Buffer.from('send\nabc'), PATH);
      expect(short.status).toBe(3);
      // The target is untouched and no temporary file is left behind.
      expect(await readFile(target)).toEqual(content);
      expect(await readdir(path.dirname(target))).toEqual(['file.txt']);
    });
  }

  it('re-modes an identical file without sending it', async () => {
    const target = path.join(dir, 'chmod.txt');
    expect(receive(target, send(), process.env.PATH ?? '').status).toBe(0);
    execFileSync('chmod', ['600', target]);
    expect(receive(target, 'chmod\n', process.env.PATH ?? '').status).toBe(0);
    expect((await stat(target)).mode & 0o777).toBe(0o640);
    expect(() => parseReceiverState('garbage')).toThrow(/unexpected answer/);
    const lost = receive(path.join(dir, 'lost.txt'), send('garbage'), process.env.PATH ?? '');
    expect(lost.status).toBe(4);
  });
});
