import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { connect, rootCertificates } from 'node:tls';
import { certificateWarnDays, readTlsOptions, type TlsFiles } from '../platform/tls.js';

/**
 * KooGallery's requirements on the production URL (spec §1, 接口整体要求): HTTPS only, a domain
 * name and no IP address, port 443, TLS ≥ 1.2, a certificate from a trusted CA. `kgd config check`
 * reports each; what needs a connection (the negotiated version, the chain a client sees) only
 * with `--probe`, so a check never reaches out unasked.
 */
export interface UrlCheck {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
}

const daysLeft = (validTo: string, now: Date) =>
  Math.floor((Date.parse(validTo) - now.getTime()) / 86_400_000);

/** What the URL itself breaks of the rules: scheme, host, port. Empty when it is fine. */
export function urlProblems(productionUrl: string): string[] {
  const url = new URL(productionUrl);
  const problems: string[] = [];
  if (url.protocol !== 'https:') problems.push('not https (the marketplace calls HTTPS only)');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) problems.push(`${host} is an IP address (a domain name is required)`);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (port !== '443') problems.push(`port ${port} (KooGallery calls port 443)`);
  return problems;
}

/** The certificates of a PEM file, in order (the server's own first). */
function pemChain(pem: Buffer): X509Certificate[] {
  return (
    pem.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ??
    []
  ).map((block) => new X509Certificate(block));
}

let roots: X509Certificate[] | undefined;

/** Whether the chain leads to one of Node's trusted root certificates (Mozilla's list). */
function chainsToTrustedRoot(chain: X509Certificate[]): boolean {
  roots ??= rootCertificates.map((pem) => new X509Certificate(pem));
  let cert = chain[0];
  for (let hops = 0; cert && hops < 10; hops++) {
    const current: X509Certificate = cert;
    if (roots.some((root) => current.checkIssued(root) && current.verify(root.publicKey)))
      return true;
    cert = chain.find(
      (c) => c !== current && current.checkIssued(c) && current.verify(c.publicKey),
    );
  }
  return false;
}

/**
 * The built-in HTTPS pair (KGD_TLS_CERT/KEY) against the rules, from the files alone: usable,
 * not expired nor expiring within 21 days, naming the public URL's host, issued by a trusted CA.
 */
export function checkCertificateFiles(files: TlsFiles, publicUrl: string, now: Date): UrlCheck {
  let chain: X509Certificate[];
  try {
    chain = pemChain(readTlsOptions(files).cert);
  } catch (err) {
    return { name: 'TLS certificate', status: 'fail', detail: (err as Error).message };
  }
  const leaf = chain[0]!;
  const left = daysLeft(leaf.validTo, now);
  const host = new URL(publicUrl).hostname;
  const problems: string[] = [];
  if (left < 0) {
    return {
      name: 'TLS certificate',
      status: 'fail',
      detail: `${files.certFile} expired on ${leaf.validTo}`,
    };
  }
  if (left < certificateWarnDays) problems.push(`expires in ${left} day(s), on ${leaf.validTo}`);
  if (!(isIP(host) ? leaf.checkIP(host) : leaf.checkHost(host)))
    problems.push(`does not name ${host}, the host of KGD_PUBLIC_URL`);
  if (!chainsToTrustedRoot(chain))
    problems.push('is not issued by a trusted CA (self-signed, or the chain is incomplete)');
  return problems.length
    ? {
        name: 'TLS certificate',
        status: 'warn',
        detail: `${files.certFile}: ${problems.join('; ')}`,
      }
    : {
        name: 'TLS certificate',
        status: 'ok',
        detail: `${files.certFile}: ${leaf.subject.replace(/\n/g, ', ')}, expires ${leaf.validTo} (${left} days)`,
      };
}

/** What a client connecting to the URL negotiated, or why it could not. */
export type ProbeResult =
  | { ok: true; protocol: string; trusted: boolean; trustError?: string; validTo: string }
  | { ok: false; error: string };

/**
 * Connects to the URL's host and port as the marketplace would (SNI, the system's trusted CAs, or
 * `ca` in tests) and reports the TLS version, whether the certificate is trusted, and its end.
 */
export function probeTls(
  productionUrl: string,
  options: { ca?: Buffer; timeoutMs?: number } = {},
): Promise<ProbeResult> {
  const url = new URL(productionUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = connect({
      host,
      port: Number(url.port || 443),
      ...(isIP(host) ? {} : { servername: host }),
      ...(options.ca && { ca: options.ca }),
      // Report an untrusted certificate, or a version below 1.2, instead of failing on it.
      rejectUnauthorized: false,
      minVersion: 'TLSv1',
      ciphers: 'DEFAULT@SECLEVEL=0',
      timeout: options.timeoutMs ?? 5000,
    });
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      resolve({
        ok: true,
        protocol: socket.getProtocol() ?? 'unknown',
        trusted: socket.authorized,
        ...(socket.authorizationError && { trustError: String(socket.authorizationError) }),
        validTo: cert.valid_to,
      });
      socket.end();
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ ok: false, error: `no TLS handshake within ${options.timeoutMs ?? 5000} ms` });
    });
    socket.once('error', (err) => resolve({ ok: false, error: err.message }));
  });
}

/** The probe's result as checks: TLS version and certificate as a client sees them. */
export function probeChecks(result: ProbeResult, now: Date): UrlCheck[] {
  if (!result.ok)
    return [
      { name: 'production URL (probe)', status: 'warn', detail: `cannot connect: ${result.error}` },
    ];
  const left = daysLeft(result.validTo, now);
  return [
    {
      name: 'TLS version (probe)',
      status: result.protocol === 'TLSv1.2' || result.protocol === 'TLSv1.3' ? 'ok' : 'warn',
      detail: `negotiated ${result.protocol} (KooGallery requires TLS 1.2 or later)`,
    },
    {
      name: 'certificate (probe)',
      status: !result.trusted || left < certificateWarnDays ? 'warn' : 'ok',
      detail: [
        result.trusted ? 'trusted' : `not trusted (${result.trustError ?? 'unknown reason'})`,
        `expires ${result.validTo} (${left} days)`,
      ].join(', '),
    },
  ];
}
