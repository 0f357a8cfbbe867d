import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { waitFor } from './wait-for.js';

const root = path.resolve(import.meta.dirname, '../..');

export interface KgdProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs the real `kgd` binary as a child process, as an operator would: `bin/kgd.js`, which loads
 * the compiled dist/. The integration project's global setup (build-dist.ts) rebuilds dist/ from
 * the current sources first, so a child never runs a stale build.
 */
export function runKgd(args: string[], env: Record<string, string>): KgdProcess {
  const child = spawn(process.execPath, [path.join(root, 'bin/kgd.js'), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return {
    child,
    output: () => out,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Starts `kgd serve` and waits until /healthz answers. */
export async function serveKgd(
  env: Record<string, string>,
  port: number,
): Promise<KgdProcess & { url: string }> {
  const proc = runKgd(['serve'], { KGD_PORT: String(port), KGD_HOST: '127.0.0.1', ...env });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `kgd serve on ${url}`,
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`kgd exited early:\n${proc.output()}`);
      const res = await fetch(`${url}/healthz`);
      return res.ok;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
  return { ...proc, url };
}

export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}
