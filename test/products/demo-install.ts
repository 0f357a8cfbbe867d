import { spawn } from 'node:child_process';
import { generateKeyPairSync, type KeyObject, randomBytes, randomInt } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type LicenseDocument, signLicense } from '../../src/licenses/license-token.js';

/**
 * A demo product installed on this machine the way the engine installs it on a server: the files
 * copied into an install dir, the license and its public key written, `.kgd/env` written, and each
 * hook run as `cd <dir> && set -a && . ./.kgd/env && set +a && bash scripts/<hook>.sh`.
 * Only the port differs (KGD_DEMO_PORT): tests run side by side.
 */
export const repoRoot = path.resolve(import.meta.dirname, '../..');

interface HookRun {
  code: number | null;
  output: string;
}

export interface DemoInstall {
  dir: string;
  port: number;
  instanceId: string;
  adminPassword: string;
  licensePath: string;
  /** Signs a license for this instance (fields overridable) with the install's key. */
  license(overrides?: Partial<LicenseDocument>, key?: KeyObject): string;
  writeLicense(text: string): void;
  /** Runs a shell command in the install dir with the env file sourced, as the engine does. */
  run(command: string): Promise<HookRun>;
  hook(name: string): Promise<HookRun>;
  get(urlPath: string, headers?: Record<string, string>): Promise<Response>;
  serverPid(): number | undefined;
  isAlive(pid: number): boolean;
  /** Kills whatever server is still running and removes the install dir. */
  cleanup(): void;
}

/**
 * A port no one listens on, chosen below the ephemeral range (32768+) so that the outgoing
 * connections of other processes on this machine cannot take it between the check and the app's
 * listen.
 */
async function freePort(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = randomInt(20_000, 32_000);
    const server = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '0.0.0.0', () => resolve(true));
    });
    if (ok) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return port;
    }
    if (attempt > 50) throw new Error('no free port between 20000 and 32000');
  }
}

const shellQuote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export async function installDemo(options: {
  /** The files to copy into the install dir (a package, or an image's install dir). */
  source: string;
  /** Inside the install dir, as product.yaml's license.path / publicKeyPath would place them. */
  licenseFile: string;
  publicKeyFile: string;
  limits?: Record<string, string | number | boolean>;
  skuCode?: string;
  /** KGD_DEMO_PORT; default: a free port. */
  port?: number;
}): Promise<DemoInstall> {
  const root = mkdtempSync(path.join(tmpdir(), 'kgd-demo-'));
  const dir = path.join(root, 'install');
  cpSync(options.source, dir, { recursive: true });
  const port = options.port ?? (await freePort());
  const instanceId = `inst-${randomBytes(4).toString('hex')}`;
  const adminPassword = `Pw-${randomBytes(6).toString('hex')}`;
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const licensePath = path.join(dir, options.licenseFile);
  const publicKeyPath = path.join(dir, options.publicKeyFile);
  mkdirSync(path.dirname(licensePath), { recursive: true });
  mkdirSync(path.dirname(publicKeyPath), { recursive: true });
  writeFileSync(publicKeyPath, publicKey.export({ format: 'pem', type: 'spki' }).toString());
  const limits = options.limits ?? { users: 10 };
  const env: Record<string, string> = {
    KGD_INSTANCE_ID: instanceId,
    KGD_PRODUCT: 'OFFI-DEMO-LICENSE-MONTH',
    KGD_SKU: options.skuCode ?? 'basic',
    KGD_INSTALL_DIR: dir,
    KGD_LICENSE_PATH: licensePath,
    KGD_LICENSE_PUBLIC_KEY_PATH: publicKeyPath,
    KGD_ADMIN_USER: 'admin',
    KGD_ADMIN_PASSWORD: adminPassword,
    KGD_EIP: '127.0.0.1',
    KGD_PRIVATE_IP: '192.168.0.10',
    ...Object.fromEntries(
      Object.entries(limits).map(([k, v]) => [`KGD_LIMIT_${k.toUpperCase()}`, String(v)]),
    ),
  };
  mkdirSync(path.join(dir, '.kgd'));
  writeFileSync(
    path.join(dir, '.kgd/env'),
    Object.entries(env)
      .map(([k, v]) => `${k}=${shellQuote(v)}\n`)
      .join(''),
    { mode: 0o600 },
  );

  const serverPid = () => {
    try {
      const pid = Number(readFileSync(path.join(dir, 'run/server.pid'), 'utf8').trim());
      return pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  };
  const started = new Set<number>();

  const run = (command: string) =>
    new Promise<HookRun>((resolve, reject) => {
      const child = spawn(
        'bash',
        ['-c', `cd ${shellQuote(dir)} && set -a && . ./.kgd/env && set +a && ${command}`],
        {
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', KGD_DEMO_PORT: String(port) },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.on('data', (d) => {
        output += d;
      });
      child.stderr.on('data', (d) => {
        output += d;
      });
      child.once('error', reject);
      child.once('close', (code) => {
        const pid = serverPid();
        if (pid) started.add(pid);
        resolve({ code, output });
      });
    });

  return {
    dir,
    port,
    instanceId,
    adminPassword,
    licensePath,
    license(overrides = {}, key = privateKey) {
      const now = Date.now();
      return signLicense(
        {
          v: 1,
          id: `lic-${randomBytes(4).toString('hex')}`,
          instanceId,
          orderId: 'CS-ORDER-1',
          productId: 'OFFI-DEMO-LICENSE-MONTH',
          skuCode: options.skuCode ?? 'basic',
          licensee: { customerId: 'cust-1', customerName: 'Acme <Tools> & Sons' },
          limits,
          issuedAt: new Date(now).toISOString(),
          notBefore: new Date(now - 60_000).toISOString(),
          expiresAt: new Date(now + 30 * 86_400_000 - 3_600_000).toISOString(),
          boundTo: {},
          test: false,
          ...overrides,
        },
        key,
      );
    },
    writeLicense(text) {
      writeFileSync(licensePath, text);
    },
    run,
    hook: (name) => run(`bash scripts/${name}.sh`),
    get: (urlPath, headers = {}) => fetch(`http://127.0.0.1:${port}${urlPath}`, { headers }),
    serverPid,
    isAlive,
    cleanup() {
      const pid = serverPid();
      if (pid) started.add(pid);
      for (const p of started) {
        // Only our server: after it exited, its pid may have been given to another process.
        if (isAlive(p) && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('server.mjs'))
          process.kill(p, 'SIGKILL');
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
