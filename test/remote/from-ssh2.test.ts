import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Permanent, Retryable } from '../../src/platform/errors.js';
import { createMemoryLogger } from '../../src/platform/logger.js';
import {
  CommandTimedOut,
  requireSuccess,
  SshAuthFailed,
  TransferFailed,
} from '../../src/remote/errors.js';
import { fromSsh2 } from '../../src/remote/from-ssh2.js';
import {
  maxCapturedOutput,
  type OutputLine,
  type RemoteSession,
} from '../../src/remote/remote-host.js';
import { createTestHosts, type TestHosts, testHostSpec } from '../support/sim-hosts.js';
import { waitFor } from '../support/wait-for.js';

// Debug logs of both sides are kept, to check that no secret reaches them (no scrubber on purpose).
const logs = createMemoryLogger();
const remote = fromSsh2({ logger: logs.logger });
const spec = testHostSpec('adapter');

let dir: string;
let machines: TestHosts;
let session: RemoteSession;
let target: ReturnType<TestHosts['target']>;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kgd-remote-'));
  machines = await createTestHosts({ logger: logs.logger });
  await machines.start(spec);
  target = machines.target(spec);
  session = await machines.connect(remote, spec);
});

afterAll(async () => {
  await session?.close();
  await machines?.close();
  await rm(dir, { recursive: true, force: true });
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('exec through the ssh2 adapter', () => {
  it('streams output line by line, tagged by stream, and reports the exit code', async () => {
    const lines: OutputLine[] = [];
    const result = await session.exec(
      'echo one; echo two >&2; printf "héllo wörld ✓\\nno newline"; exit 7',
      { onOutput: (line) => lines.push(line) },
    );
    expect(result).toMatchObject({ exitCode: 7, signal: null, timedOut: false });
    expect(lines).toEqual(
      expect.arrayContaining([
        { stream: 'stdout', text: 'one' },
        { stream: 'stderr', text: 'two' },
        { stream: 'stdout', text: 'héllo wörld ✓' },
        { stream: 'stdout', text: 'no newline' },
      ]),
    );
    expect(lines.filter((l) => l.stream === 'stdout').map((l) => l.text)).toEqual([
      'one',
      'héllo wörld ✓',
      'no newline',
    ]);
    expect(result.stdout).toBe('one\nhéllo wörld ✓\nno newline');
    expect(result.stderr).toBe('two\n');
  });

  it('passes env, cwd and stdin, quoted whatever they contain', async () => {
    await session.exec('mkdir -p "/opt/dir with space"');
    const tricky = `it's "quoted" $HOME \`id\` ; rm -rf /`;
    const result = await session.exec('pwd; printf "%s\\n" "$TRICKY"; cat', {
      cwd: '/opt/dir with space',
      env: { TRICKY: tricky },
      stdin: 'from stdin',
    });
    expect(result.stdout).toBe(`/opt/dir with space\n${tricky}\nfrom stdin`);
    await expect(session.exec('true', { env: { 'BAD NAME': 'x' } })).rejects.toThrow(
      /env\.BAD NAME/,
    );
  });

  it('reports a command killed by a signal', async () => {
    const result = await session.exec('kill -TERM $$');
    expect(result).toMatchObject({ exitCode: null, signal: 'TERM', timedOut: false });
  });

  it('kills a command at its timeout, with everything it started', async () => {
    const lines: string[] = [];
    const started = Date.now();
    const result = await session.exec('echo started; sleep 41 & sleep 42; echo never', {
      timeoutMs: 400,
      onOutput: (line) => lines.push(line.text),
    });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(result.timedOut).toBe(true);
    expect(lines).toEqual(['started']);
    await waitFor('the killed processes to be gone', async () => {
      const ps = await session.exec('ps -e -o args=');
      return !/sleep 4[12]/.test(ps.stdout);
    });
    expect(() => requireSuccess('slow hook', result)).toThrow(CommandTimedOut);
    expect(() => requireSuccess('slow hook', result)).toThrow(Retryable);
  });

  it('keeps only the end of a very large output', async () => {
    const result = await session.exec(
      `head -c ${maxCapturedOutput + 5000} /dev/zero | tr '\\0' a; echo END`,
    );
    expect(result.stdout.length).toBe(maxCapturedOutput);
    expect(result.stdout.endsWith('aaaEND\n')).toBe(true);
  });
});

describe('file transfer through the ssh2 adapter', () => {
  it('uploads atomically, verifies by sha256 and skips an identical file', async () => {
    const local = path.join(dir, 'package.bin');
    const content = randomBytes(5 * 1024 * 1024 + 3);
    await writeFile(local, content, { mode: 0o640 });
    const first = await session.upload(local, '/opt/pkg/new/package.bin');
    expect(first).toEqual({ skipped: false, bytes: content.length, sha256: sha256(content) });
    const check = await session.exec(
      'sha256sum /opt/pkg/new/package.bin | cut -d" " -f1; stat -c %a /opt/pkg/new/package.bin; ls -a /opt/pkg/new',
    );
    expect(check.stdout).toBe(`${sha256(content)}\n640\n.\n..\npackage.bin\n`);

    const again = await session.upload(local, '/opt/pkg/new/package.bin', { mode: 0o600 });
    expect(again.skipped).toBe(true);
    expect((await session.exec('stat -c %a /opt/pkg/new/package.bin')).stdout).toBe('600\n');

    content[0] = (content[0]! + 1) % 256;
    await writeFile(local, content);
    expect((await session.upload(local, '/opt/pkg/new/package.bin')).skipped).toBe(false);
  });

  it('uploads content from memory, skipping it when identical', async () => {
    const license = 'license: signed\n';
    expect(await session.uploadContent(license, '/srv/app/license.txt', 0o600)).toEqual({
      skipped: false,
      bytes: license.length,
      sha256: sha256(Buffer.from(license)),
    });
    expect((await session.uploadContent(license, '/srv/app/license.txt', 0o600)).skipped).toBe(
      true,
    );
    // Checked on the machine's disk, not through the adapter under test.
    const onDisk = machines.hostPath(spec, '/srv/app/license.txt');
    expect(await readFile(onDisk, 'utf8')).toBe(license);
    expect((await stat(onDisk)).mode & 0o777).toBe(0o600);
  });

  it('fails an upload to a read-only place with a retryable TransferFailed naming the path', async () => {
    const readOnly = session.uploadContent('x', '/usr/lib/kgd-x');
    await expect(readOnly).rejects.toBeInstanceOf(TransferFailed);
    await expect(readOnly).rejects.toBeInstanceOf(Retryable);
    await expect(readOnly).rejects.toThrow('/usr/lib/kgd-x');
    await expect(session.uploadContent('x', '/tmp/x', 0o10000)).rejects.toThrow(/mode/);
  });
});

describe('connecting with the ssh2 adapter', () => {
  it('times out a server that accepts TCP but never speaks SSH', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      await expect(
        remote.connect({ ...target, host: '127.0.0.1', port, readyTimeoutMs: 300 }),
      ).rejects.toMatchObject({
        name: 'SshUnreachable',
        reason: 'timeout',
        code: expect.any(String),
      });
      await expect(
        remote.connect({ ...target, host: '127.0.0.1', port, readyTimeoutMs: 300 }),
      ).rejects.toBeInstanceOf(Retryable);
    } finally {
      silent.close();
    }
  });

  it('names the missing or bad field of a target', async () => {
    await expect(remote.connect({ ...target, port: 0 })).rejects.toThrow(/port/);
    await expect(remote.connect({ ...target, password: undefined })).rejects.toThrow(
      /password or privateKey/,
    );
    const badKey = remote.connect({ ...target, password: undefined, privateKey: 'not a key' });
    await expect(badKey).rejects.toBeInstanceOf(SshAuthFailed);
    await expect(badKey).rejects.toBeInstanceOf(Permanent);
    await expect(badKey).rejects.toThrow(/privateKey/);
  });
});

describe('logs of the adapter and the simulated host', () => {
  it('never contain the password, even after a failed login', async () => {
    await expect(remote.connect({ ...target, password: 'Wrong-Pass-123' })).rejects.toMatchObject({
      name: 'SshAuthFailed',
    });
    await (await remote.connect(target)).close();
    expect(logs.lines.length).toBeGreaterThan(0);
    const all = logs.lines.join('\n');
    expect(all).not.toContain(spec.adminPass!);
    expect(all).not.toContain('Wrong-Pass-123');
  });
});
