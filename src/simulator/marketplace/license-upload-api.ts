import { createHash } from 'node:crypto';
import type { Hono } from 'hono';
import { verifyRequest } from '../../platform/apig-signing.js';
import type { Clock } from '../../platform/clock.js';

/**
 * The marketplace's license upload API (spec §7.2): `POST
 * /api/mkp-openapi-public/global/v1/market-event/{event_id}/file`, multipart (`file` +
 * `isvUpdateFileReq` JSON), `SDK-HMAC-SHA256` with the seller's AK/SK (the body may be unsigned).
 * Checks the signature, that the event is one the marketplace sent, the parts, and the file's
 * sha256; records every accepted upload so a test can assert one upload per event.
 */
const licenseUploadRoute = '/api/mkp-openapi-public/global/v1/market-event/:eventId/file';

export interface LicenseUpload {
  at: string;
  eventId: string;
  fileName: string;
  sha256: string;
  text: string;
  ak: string;
  /** The host the upload was sent to (the Host header): the primary or the fallback. */
  host: string;
}

/**
 * A scripted answer for a coming upload: an HTTP status and error_code, or no answer at all
 * (`hangMs`: the connection is held that long, then dropped unrecorded, as a marketplace that
 * timed out). With `host`, only uploads sent to that host (`127.0.0.1:8080`) take it, so the
 * fallback host can answer what the first did not.
 */
export type UploadFault = { host?: string } & (
  | { status: 200 | 400 | 403 | 500 | 503; code: string }
  | { hangMs: number }
);

export interface LicenseUploadApi {
  uploads(): LicenseUpload[];
  /** The next uploads (to the fault's host, if it names one) answer these, in order. */
  failNext(...faults: UploadFault[]): void;
  /** Faults not taken yet. */
  pendingFaults(): number;
  clear(): void;
}

export interface LicenseUploadDeps {
  clock: Clock;
  /** Holds a hanging upload (real time: the seller's client times out in real time). */
  hang?: (ms: number, signal: AbortSignal) => Promise<void>;
  sellerCredentials(): ReadonlyArray<{ ak: string; sk: string }>;
  /** Whether the marketplace sent a getLicenseAsync with this event id. */
  knownEvent(eventId: string): boolean;
}

const messages: Record<string, string> = {
  'CBC.0000': 'Success',
  'CBC.0150': 'Illegal operation',
  'CBC.0101': 'Invalid parameter',
  'CBC.0999': 'internal error',
  '91381034': 'license apply invalid',
  '91381036': 'inner error',
};

export function registerLicenseUploadApi(app: Hono, deps: LicenseUploadDeps): LicenseUploadApi {
  let uploads: LicenseUpload[] = [];
  let faults: UploadFault[] = [];
  app.post(licenseUploadRoute, async (c) => {
    const eventId = c.req.param('eventId');
    const reply = (status: 200 | 400 | 403 | 500 | 503, code: string, detail?: string) =>
      c.json(
        { error_code: code, error_msg: detail ? `${messages[code]}: ${detail}` : messages[code] },
        status,
      );
    const host = c.req.header('host') ?? '';
    const at = faults.findIndex((f) => !f.host || f.host === host);
    const fault = at >= 0 ? faults.splice(at, 1)[0] : undefined;
    if (fault && 'hangMs' in fault) {
      await (deps.hang ?? holdFor)(fault.hangMs, c.req.raw.signal);
      return reply(503, 'CBC.0999', 'scripted failure: no answer in time');
    }
    if (fault) return reply(fault.status, fault.code, 'scripted failure');
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const body = Buffer.from(await c.req.arrayBuffer());
    const verified = verifyRequest(
      { method: 'POST', url: c.req.url, headers, body },
      (ak) => deps.sellerCredentials().find((cred) => cred.ak === ak)?.sk,
      deps.clock.now(),
    );
    if (!verified.ok) return reply(403, 'CBC.0150', verified.message);
    if (!deps.knownEvent(eventId)) return reply(200, '91381034', `no event ${eventId}`);
    let form: FormData;
    try {
      form = await new Response(body, {
        headers: { 'content-type': headers['content-type'] ?? '' },
      }).formData();
    } catch {
      return reply(400, 'CBC.0101', 'not multipart/form-data');
    }
    const file = form.get('file');
    const rawMeta = form.get('isvUpdateFileReq');
    let meta: { type?: unknown; file_name?: unknown; sha256?: unknown };
    try {
      meta = JSON.parse(typeof rawMeta === 'string' ? rawMeta : await (rawMeta?.text() ?? ''));
    } catch {
      return reply(400, 'CBC.0101', 'isvUpdateFileReq is not JSON');
    }
    if (meta.type !== 'FILE') return reply(400, 'CBC.0101', 'type: expected FILE');
    if (typeof meta.file_name !== 'string' || !meta.file_name || meta.file_name.length > 1024)
      return reply(400, 'CBC.0101', 'file_name: required, at most 1024 characters');
    if (!file || typeof file === 'string') return reply(400, 'CBC.0101', 'file: required');
    const bytes = Buffer.from(await file.arrayBuffer());
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (typeof meta.sha256 !== 'string' || meta.sha256.toLowerCase() !== sha256)
      return reply(400, 'CBC.0101', 'sha256 does not match the file');
    uploads.push({
      at: deps.clock.now().toISOString(),
      eventId,
      fileName: meta.file_name,
      sha256,
      text: bytes.toString('utf8'),
      ak: verified.ak,
      host,
    });
    return reply(200, 'CBC.0000');
  });
  return {
    uploads: () => [...uploads],
    failNext: (...more) => {
      faults.push(...more);
    },
    pendingFaults: () => faults.length,
    clear: () => {
      uploads = [];
      faults = [];
    },
  };
}

/** Resolves after `ms`, or at once when the client went away. */
function holdFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
