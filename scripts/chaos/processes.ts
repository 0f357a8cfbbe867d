import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import http from 'node:http';
import { createServer, type Socket } from 'node:net';
import path from 'node:path';

/** The processes of a chaos run: the simulator, the service replicas, a round-robin front. */
const root = path.resolve(import.meta.dirname, '../..');

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function waitUntil(
  what: string,
  probe: () => Promise<boolean> | boolean,
  timeoutMs: number,
  intervalMs = 200,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await Promise.resolve(probe()).catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Every process started, so a failed run can stop them all. */
const started = new Set<ChildProcess>();

export function killAll() {
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
}

/** Runs `node bin/kgd.js <args>` with its output appended to a log file. */
export function kgd(
  args: string[],
  env: Record<string, string>,
  logFile: string,
  nodeArgs: string[] = [],
): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs, 'bin/kgd.js', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  started.add(child);
  child.once('exit', () => {
    started.delete(child);
    log.end();
  });
  return child;
}

export interface Replica {
  name: string;
  port: number;
  url: string;
  child: ChildProcess | undefined;
  starts: number;
  kills: number;
  /** Killed for good: never restarted. */
  retired: boolean;
}

export async function startReplica(replica: Replica, env: Record<string, string>, logFile: string) {
  replica.child = kgd(
    ['serve'],
    { ...env, KGD_PORT: String(replica.port), KGD_HOST: '127.0.0.1' },
    logFile,
  );
  replica.starts++;
  const child = replica.child;
  await waitUntil(
    `${replica.name} to answer /readyz`,
    async () => {
      if (child.exitCode !== null)
        throw new Error(`${replica.name} exited during start-up (see ${logFile})`);
      return (await fetch(`${replica.url}/readyz`)).ok;
    },
    120_000,
  );
}

export async function killReplica(replica: Replica) {
  const child = replica.child;
  if (!child || child.exitCode !== null) return;
  replica.kills++;
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  replica.child = undefined;
}

/**
 * The seller's load balancer in front of the replicas: each marketplace call goes to the next
 * replica in turn; a call that reaches a dead one is dropped (the marketplace sees a network
 * error and resends, as it would).
 */
export function startFront(replicas: Replica[], port: number) {
  let next = 0;
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const target = replicas[next++ % replicas.length]!;
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: target.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  return new Promise<{ url: string; close(): Promise<void> }>((resolve) => {
    server.listen(port, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      }),
    );
  });
}
