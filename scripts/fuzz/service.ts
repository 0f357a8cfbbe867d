import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

/**
 * The processes a fuzz run talks to, started exactly as an operator would: the simulator (cloud
 * and order API, remote in production) as its own process, and `kgd serve` on embedded
 * PostgreSQL in a fresh data directory. Every line either prints is kept in a log file, so the
 * run can look for crashes and unexpected errors afterwards.
 */
const root = path.resolve(import.meta.dirname, '../..');

interface Child {
  child: ChildProcess;
  /** The last 20 KB of output, for start-up failures. */
  tail(): string;
  exited: Promise<number | null>;
  alive(): boolean;
  stop(): Promise<number | null>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function start(args: string[], env: Record<string, string>, logFile: string): Child {
  const child = spawn(process.execPath, ['bin/kgd.js', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const collect = (d: Buffer) => {
    tail = (tail + d).slice(-20_000);
    appendFileSync(logFile, d);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  // If the fuzzer itself dies, its children must not outlive it.
  const orphanGuard = () => {
    if (alive()) child.kill('SIGTERM');
  };
  process.once('exit', orphanGuard);
  void exited.then(() => process.off('exit', orphanGuard));
  return {
    child,
    tail: () => tail,
    exited,
    alive,
    async stop() {
      if (alive()) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Polls an observable state until it holds, or fails after `timeoutMs` naming `what`. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      if (await probe()) return;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} ${last}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function healthy(url: string, proc: Child, timeoutMs: number): Promise<void> {
  await waitFor(
    url,
    async () => {
      if (!proc.alive()) throw new Error(`exited before answering:\n${proc.tail()}`);
      return (await fetch(url)).status < 500;
    },
    timeoutMs,
  );
}

export interface Services {
  kgd: Child;
  sim: Child;
  /** Base URL of kgd serve. */
  url: string;
  dataDir: string;
  kgdLog: string;
  /** PostgreSQL URL of the embedded database, through its Unix socket. */
  databaseUrl(): string;
  /** Runs a `kgd` command against the same data directory (as an operator would). */
  cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  stop(): Promise<{ kgdExit: number | null }>;
}

/**
 * @example
 *   const s = await startServices({ workDir, keys: [key, oldKey] });
 *   await fetch(`${s.url}/healthz`);
 *   await s.stop();
 */
export async function startServices(options: {
  workDir: string;
  keys: string[];
}): Promise<Services> {
  const { workDir } = options;
  const dataDir = path.join(workDir, 'kgd');
  const kgdLog = path.join(workDir, 'kgd.log');
  const simLog = path.join(workDir, 'simulator.log');
  const simPort = await freePort();
  const kgdPort = await freePort();
  // The orders of the fuzz load are not in the simulator's order book, and their products have
  // no template: each deployment fails fast, so the engine stays light.
  const sim = start(
    ['simulator', '--port', String(simPort), '--hosts', 'recording', '--time-scale', '0.01'],
    { KGD_LOG_LEVEL: 'error' },
    simLog,
  );
  const simUrl = `http://127.0.0.1:${simPort}`;
  const kgdEnv = {
    KGD_DATA_DIR: dataDir,
    KGD_LOG_LEVEL: 'warn',
    KGD_CLOUD_AK: 'KGDSIMULATORAKEY0001',
    KGD_CLOUD_SK: 'kgd-simulator-secret-key-not-for-real-use',
    KGD_CLOUD_PROJECT_ID: '6b67642d73696d756c61746f72000001',
    KGD_CLOUD_ENDPOINT: `http://127.0.0.1:${simPort}`,
    KGD_MARKETPLACE_API_URL: `http://127.0.0.1:${simPort}`,
  };
  const kgd = start(
    ['serve'],
    {
      ...kgdEnv,
      KGD_PORT: String(kgdPort),
      KGD_HOST: '127.0.0.1',
      KGD_MARKETPLACE_KEYS: options.keys.join(','),
    },
    kgdLog,
  );
  const url = `http://127.0.0.1:${kgdPort}`;
  const stop = async () => {
    const kgdExit = await kgd.stop();
    await sim.stop();
    return { kgdExit };
  };
  try {
    await healthy(`${simUrl}/sim/inventory`, sim, 60_000);
    await healthy(`${url}/healthz`, kgd, 120_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    kgd,
    sim,
    url,
    dataDir,
    kgdLog,
    databaseUrl() {
      const password = readFileSync(path.join(dataDir, 'pg.password'), 'utf8').trim();
      const socketDir = encodeURIComponent(path.join(dataDir, 'pg-run'));
      return `postgresql://kgd:${encodeURIComponent(password)}@localhost/kgd?host=${socketDir}`;
    },
    stop,
    cli: (args) =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, ['bin/kgd.js', ...args], {
          cwd: root,
          env: { ...process.env, ...kgdEnv },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (d: Buffer) => {
          stdout += d;
        });
        child.stderr!.on('data', (d: Buffer) => {
          stderr += d;
        });
        child.once('exit', (code) => resolve({ code, stdout, stderr }));
      }),
  };
}
