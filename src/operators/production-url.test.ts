import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createServer, type Server } from 'node:tls';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, issueServerCert, type TestCa } from '../../test/support/tls-certs.js';
import { registerConfigCommand } from './cli/cmd-config.js';
import { checkCertificateFiles, probeChecks, probeTls, urlProblems } from './production-url.js';

let dir: string;
let ca: TestCa;
let good: ReturnType<typeof issueServerCert>;
let expiring: ReturnType<typeof issueServerCert>;
const servers: Server[] = [];
const now = () => new Date();

/** A TLS server on localhost with the given pair and versions; resolves to its port. */
async function tlsServer(
  pair: { certFile: string; keyFile: string },
  versions: { minVersion?: 'TLSv1' | 'TLSv1.2'; maxVersion?: 'TLSv1.1' | 'TLSv1.3' } = {},
): Promise<number> {
  const server = createServer({
    cert: readFileSync(pair.certFile),
    key: readFileSync(pair.keyFile),
    minVersion: 'TLSv1.2',
    ...versions,
    ...(versions.maxVersion === 'TLSv1.1' && { ciphers: 'DEFAULT@SECLEVEL=0' }),
  });
  server.on('secureConnection', (s) => s.end());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kgd-prod-url-'));
  ca = createTestCa(dir);
  good = issueServerCert(dir, ca, 'good', 90);
  expiring = issueServerCert(dir, ca, 'expiring', 10);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

describe('the production URL rules (spec §1)', () => {
  it('accepts an https domain on 443 and names every broken rule otherwise', () => {
    expect(urlProblems('https://deploy.example.com/koogallery/produce')).toEqual([]);
    expect(urlProblems('https://deploy.example.com:443/p')).toEqual([]);
    expect(urlProblems('http://203.0.113.7:8080/koogallery/produce')).toEqual([
      'not https (the marketplace calls HTTPS only)',
      '203.0.113.7 is an IP address (a domain name is required)',
      'port 8080 (KooGallery calls port 443)',
    ]);
    expect(urlProblems('https://[2001:db8::1]/p')).toEqual([
      '2001:db8::1 is an IP address (a domain name is required)',
    ]);
    expect(urlProblems('http://deploy.example.com/p')).toEqual([
      'not https (the marketplace calls HTTPS only)',
      'port 80 (KooGallery calls port 443)',
    ]);
  });

  it('checks the KGD_TLS_CERT file: expiry within 21 days, host, trusted issuer, key match', () => {
    const ok = checkCertificateFiles(good, 'https://localhost', now());
    // Issued by the test CA, which no client trusts: the one remaining warning.
    expect(ok.status).toBe('warn');
    expect(ok.detail).toContain('is not issued by a trusted CA');
    expect(ok.detail).not.toContain('expires in');
    expect(ok.detail).not.toContain('does not name');

    const soon = checkCertificateFiles(expiring, 'https://localhost', now());
    expect(soon.detail).toMatch(/expires in (9|10) day\(s\)/);

    const otherHost = checkCertificateFiles(good, 'https://deploy.example.com', now());
    expect(otherHost.detail).toContain('does not name deploy.example.com');

    const later = new Date(Date.now() + 91 * 86_400_000);
    const expired = checkCertificateFiles(good, 'https://localhost', later);
    expect(expired).toMatchObject({ status: 'fail' });
    expect(expired.detail).toContain('expired on');

    const mismatched = checkCertificateFiles(
      { certFile: good.certFile, keyFile: expiring.keyFile },
      'https://localhost',
      now(),
    );
    expect(mismatched).toMatchObject({ status: 'fail' });
    expect(mismatched.detail).toContain('KGD_TLS_KEY');
  });

  it('a probe reports the negotiated version, the trust and the expiry as a client sees them', async () => {
    const port = await tlsServer(good);
    const trusted = await probeTls(`https://localhost:${port}/p`, { ca: ca.pem });
    expect(trusted).toMatchObject({ ok: true, protocol: 'TLSv1.3', trusted: true });
    expect(probeChecks(trusted, now()).map((c) => c.status)).toEqual(['ok', 'ok']);

    const untrusted = await probeTls(`https://localhost:${port}/p`);
    expect(untrusted).toMatchObject({ ok: true, trusted: false });
    const [, cert] = probeChecks(untrusted, now());
    expect(cert).toMatchObject({ status: 'warn' });
    expect(cert!.detail).toContain('not trusted');

    const soonPort = await tlsServer(expiring);
    const soon = probeChecks(
      await probeTls(`https://localhost:${soonPort}/p`, { ca: ca.pem }),
      now(),
    );
    expect(soon[1]).toMatchObject({ status: 'warn' });

    const oldPort = await tlsServer(good, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1' });
    const old = probeChecks(
      await probeTls(`https://localhost:${oldPort}/p`, { ca: ca.pem }),
      now(),
    );
    expect(old[0]).toMatchObject({ status: 'warn', detail: expect.stringContaining('TLSv1.1') });

    const closed = await probeTls('https://localhost:1/p', { timeoutMs: 2000 });
    expect(closed.ok).toBe(false);
    expect(probeChecks(closed, now())[0]).toMatchObject({ status: 'warn' });
  });
});

describe('kgd config check on the production URL', () => {
  async function configCheck(env: Record<string, string>, ...args: string[]) {
    let stdout = '';
    const program = new Command('kgd').exitOverride();
    registerConfigCommand(program, {
      stdin: Readable.from(['']),
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: () => true },
      env: { KGD_DATA_DIR: path.join(dir, 'data'), KGD_TEMPLATES_DIR: 'templates', ...env },
    });
    await program.parseAsync(['config', 'check', '--json', ...args], { from: 'user' });
    return JSON.parse(stdout) as {
      checks: Array<{ name: string; status: string; detail: string }>;
    };
  }
  const production = { KGD_CLOUD_AK: 'ak', KGD_CLOUD_SK: 'sk', KGD_CLOUD_PROJECT_ID: 'p' };

  it('warns in production on an http IP URL, and only notes it on the simulator', async () => {
    const prod = await configCheck({ ...production, KGD_PUBLIC_URL: 'http://203.0.113.7:8080' });
    const rule = prod.checks.find((c) => c.name === 'production URL');
    expect(rule).toMatchObject({ status: 'warn' });
    expect(rule!.detail).toContain('http://203.0.113.7:8080/koogallery/produce');
    expect(rule!.detail).toContain('IP address');
    const sim = await configCheck({ KGD_PUBLIC_URL: 'http://203.0.113.7:8080' });
    expect(sim.checks.find((c) => c.name === 'production URL')).toMatchObject({ status: 'ok' });
  });

  it('checks the built-in certificate, and with --probe connects to the URL', async () => {
    const port = await tlsServer(expiring);
    const out = await configCheck(
      {
        ...production,
        KGD_PUBLIC_URL: `https://localhost:${port}`,
        KGD_TLS_CERT: expiring.certFile,
        KGD_TLS_KEY: expiring.keyFile,
      },
      '--probe',
    );
    const by = (name: string) => out.checks.find((c) => c.name === name);
    expect(by('production URL')!.detail).toContain(`port ${port}`);
    expect(by('TLS certificate')).toMatchObject({ status: 'warn' });
    expect(by('TLS certificate')!.detail).toMatch(/expires in/);
    expect(by('TLS version (probe)')).toMatchObject({ status: 'ok' });
    // The system's CAs do not know the test CA.
    expect(by('certificate (probe)')).toMatchObject({ status: 'warn' });
    expect(by('certificate (probe)')!.detail).toContain('not trusted');
  });
});
