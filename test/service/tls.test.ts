import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort, type KgdProcess, runKgd } from '../support/kgd-process.js';
import { createTestCa, issueServerCert, type TestCa } from '../support/tls-certs.js';
import { waitFor } from '../support/wait-for.js';

/**
 * `kgd serve` with KGD_TLS_CERT/KGD_TLS_KEY, as the real binary runs under systemd: HTTPS on its
 * port with TLS 1.2 at least, and a certificate renewal picked up on SIGHUP (`systemctl reload`)
 * while calls keep flowing, none failing, connections opened before the reload kept.
 */
let db: TestDatabase;
let dir: string;
let ca: TestCa;
let first: ReturnType<typeof issueServerCert>;
let second: ReturnType<typeof issueServerCert>;
let kgd: KgdProcess;
let port: number;
const certFile = () => path.join(dir, 'live.pem');
const keyFile = () => path.join(dir, 'live.key');

/** Opens a TLS connection and reports what the server presented, or the handshake's error. */
function handshake(options: {
  minVersion?: 'TLSv1' | 'TLSv1.2';
  maxVersion?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
}): Promise<{ protocol: string | null; cert: PeerCertificate } | { error: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: ca.pem,
      // Lets this client offer TLS 1.0/1.1 at all (OpenSSL 3 refuses them at its default level),
      // so a refusal below is the server's.
      ciphers: 'DEFAULT@SECLEVEL=0',
      ...options,
    });
    socket.once('secureConnect', () => {
      resolve({ protocol: socket.getProtocol(), cert: socket.getPeerCertificate() });
      socket.end();
    });
    socket.once('error', (error) => resolve({ error }));
  });
}

/** GET /healthz over HTTPS: the status and the serial of the certificate, or the error. */
function get(agent: Agent): Promise<{ status: number; serial: string } | { error: string }> {
  return new Promise((resolve) => {
    let serial = '';
    const req = request(
      { host: '127.0.0.1', port, path: '/healthz', servername: 'localhost', ca: ca.pem, agent },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, serial }));
      },
    );
    // A kept-alive socket has shaken hands already; a new one reports its certificate once it has.
    req.on('socket', (socket: TLSSocket) => {
      const read = () => {
        serial = socket.getPeerCertificate().serialNumber?.toUpperCase() ?? '';
      };
      if (socket.getPeerCertificate()?.serialNumber) read();
      else socket.once('secureConnect', read);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.on('error', (err) => resolve({ error: err.message }));
    req.end();
  });
}

beforeAll(async () => {
  db = await createTestDatabase('kgd_tls');
  dir = mkdtempSync(path.join(tmpdir(), 'kgd-tls-'));
  ca = createTestCa(dir);
  first = issueServerCert(dir, ca, 'first');
  second = issueServerCert(dir, ca, 'second');
  copyFileSync(first.certFile, certFile());
  copyFileSync(first.keyFile, keyFile());
  port = await freePort();
  kgd = runKgd(['serve'], {
    DATABASE_URL: db.url,
    KGD_MASTER_KEY: randomBytes(32).toString('base64'),
    KGD_MARKETPLACE_KEYS: 'tls-test-key-0001',
    KGD_DATA_DIR: path.join(dir, 'data'),
    KGD_HOST: '127.0.0.1',
    KGD_PORT: String(port),
    KGD_SIM_PORT: '0',
    KGD_PUBLIC_URL: `https://localhost:${port}`,
    KGD_TLS_CERT: certFile(),
    KGD_TLS_KEY: keyFile(),
    KGD_LOG_LEVEL: 'info',
    KGD_EXECUTOR_ID: `tls-${randomBytes(3).toString('hex')}`,
  });
  const agent = new Agent({ keepAlive: false });
  await waitFor(
    'kgd serve answering HTTPS',
    async () => {
      if (kgd.child.exitCode !== null) throw new Error(`kgd exited early:\n${kgd.output()}`);
      const r = await get(agent);
      return 'status' in r && r.status === 200;
    },
    { timeoutMs: 90_000, intervalMs: 200 },
  );
}, 120_000);

afterAll(async () => {
  expect(await kgd?.stop()).toBe(0);
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('kgd serve over TLS', () => {
  it('answers TLS 1.2 and 1.3 and refuses TLS 1.1 in the handshake', async () => {
    const v12 = await handshake({ maxVersion: 'TLSv1.2' });
    expect('protocol' in v12 && v12.protocol).toBe('TLSv1.2');
    const v13 = await handshake({});
    expect('protocol' in v13 && v13.protocol).toBe('TLSv1.3');
    const v11 = await handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1' });
    // The server's "protocol version" alert, not a client-side refusal to offer TLS 1.1.
    expect('error' in v11 && v11.error.code).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
  });

  it('reloads a renewed certificate on SIGHUP mid-traffic with no failed call', async () => {
    const results: Array<{ status: number; serial: string } | { error: string }> = [];
    let stop = false;
    // Keep-alive clients hold connections across the reload; fresh-connection clients make a full
    // handshake on every call (no session resumption), so they see the new certificate as soon
    // as it is in place.
    const workers = [true, true, false, false].map(async (keepAlive) => {
      const agent = new Agent({ keepAlive, maxSockets: 1, maxCachedSessions: 0 });
      for (let i = 0; i < 2000 && !stop; i++) results.push(await get(agent));
      agent.destroy();
    });
    await waitFor('calls before the reload', () => results.length >= 40, { timeoutMs: 30_000 });
    copyFileSync(second.certFile, certFile());
    copyFileSync(second.keyFile, keyFile());
    kgd.child.kill('SIGHUP');
    const reloadedAt = results.length;
    await waitFor(
      'a new connection presenting the renewed certificate',
      () =>
        results.filter((r) => 'serial' in r && r.serial === second.serial.toUpperCase()).length >=
        40,
      { timeoutMs: 30_000 },
    );
    stop = true;
    await Promise.all(workers);
    const failed = results.filter((r) => 'error' in r || r.status !== 200);
    expect(failed).toEqual([]);
    const serials = new Set(results.map((r) => ('serial' in r ? r.serial : '')));
    expect(serials).toEqual(new Set([first.serial.toUpperCase(), second.serial.toUpperCase()]));
    // Connections opened before the reload went on answering on their first certificate.
    const keptAfter = results
      .slice(reloadedAt)
      .filter((r) => 'serial' in r && r.serial === first.serial.toUpperCase());
    expect(keptAfter.length).toBeGreaterThan(0);
    expect(kgd.output()).toContain('TLS certificate reloaded');
    expect(kgd.child.exitCode).toBeNull();
    // Still TLS 1.2 at least after the reload.
    const v11 = await handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1' });
    expect('error' in v11 && v11.error.code).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
  });

  it('keeps the previous certificate when the renewed files do not match', async () => {
    copyFileSync(first.keyFile, keyFile()); // second's certificate with first's key
    kgd.child.kill('SIGHUP');
    await waitFor('the failed reload logged', () =>
      kgd.output().includes('TLS reload failed: still serving the previous certificate'),
    );
    const r = await get(new Agent({ keepAlive: false }));
    expect(r).toMatchObject({ status: 200 });
    expect('serial' in r && r.serial).toBe(second.serial.toUpperCase());
  });
});
