import { connect, type PeerCertificate } from 'node:tls';
import type { AlertInput } from './outbox.js';

/**
 * The certificate the marketplace sees at KGD_PUBLIC_URL (the load balancer's, or the service's
 * own with KGD_TLS_CERT): read over a TLS connection, as a client would. Alerts when it expires
 * within `warnMs`, or is not trusted at all. An http:// public URL has nothing to check
 * (`kgd config check` warns about it).
 */
export async function certificateExpiry(options: {
  publicUrl: string;
  now: Date;
  warnMs: number;
  /** Extra trusted roots (tests with a generated certificate). */
  ca?: string | Buffer | undefined;
  timeoutMs?: number;
}): Promise<AlertInput[]> {
  const url = new URL(options.publicUrl);
  if (url.protocol !== 'https:') return [];
  const host = url.hostname;
  const port = Number(url.port || 443);
  let seen: { cert: PeerCertificate; authorized: boolean; error?: string };
  try {
    seen = await peerCertificate(host, port, options.ca, options.timeoutMs ?? 10_000);
  } catch (err) {
    // Unreachable is not a certificate problem: the endpoint's own monitoring sees it.
    void err;
    return [];
  }
  const expires = new Date(seen.cert.valid_to);
  const left = expires.getTime() - options.now.getTime();
  const days = Math.floor(left / 86_400_000);
  const problem = !seen.authorized
    ? `is not trusted (${seen.error})`
    : left <= options.warnMs
      ? left <= 0
        ? `expired at ${expires.toISOString()}`
        : `expires in ${days} day(s), at ${expires.toISOString()}`
      : undefined;
  if (!problem) return [];
  return [
    {
      kind: 'certificate-expiring',
      subject: `${host}:${port}`,
      summary: `the TLS certificate of ${host}:${port} ${problem}`,
      details: {
        host,
        port,
        expiresAt: expires.toISOString(),
        subject: String(seen.cert.subject?.CN ?? '') || null,
        issuer: String(seen.cert.issuer?.CN ?? '') || null,
      },
    },
  ];
}

function peerCertificate(
  host: string,
  port: number,
  ca: string | Buffer | undefined,
  timeoutMs: number,
): Promise<{ cert: PeerCertificate; authorized: boolean; error?: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port,
      servername: /^[0-9.]+$|:/.test(host) ? undefined : host,
      rejectUnauthorized: false,
      ...(ca ? { ca } : {}),
      timeout: timeoutMs,
    });
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const error = socket.authorizationError ? String(socket.authorizationError) : undefined;
      socket.end();
      resolve({ cert, authorized: socket.authorized, ...(error ? { error } : {}) });
    });
    socket.once('timeout', () => socket.destroy(new Error('timed out')));
    socket.once('error', reject);
  });
}

/** KGD_MARKETPLACE_KEY_ROTATE_BY: the date the seller's policy (or the key) ends the Key's use. */
export function marketplaceKeyRotation(options: {
  rotateBy: string | undefined;
  now: Date;
  warnMs: number;
}): AlertInput[] {
  if (!options.rotateBy) return [];
  const due = new Date(`${options.rotateBy}T00:00:00Z`);
  const left = due.getTime() - options.now.getTime();
  if (left > options.warnMs) return [];
  return [
    {
      kind: 'marketplace-key-expiring',
      subject: 'marketplace-key',
      summary:
        left <= 0
          ? `the marketplace key was due for rotation on ${options.rotateBy}`
          : `the marketplace key is due for rotation on ${options.rotateBy} (${Math.ceil(left / 86_400_000)} day(s))`,
      details: { rotateBy: options.rotateBy },
    },
  ];
}
