import { randomBytes } from 'node:crypto';
import type { LicenseDelivery, LicenseFile, UploadReceipt } from '../deployments/ports.js';
import { signRequest } from '../platform/apig-signing.js';
import type { Clock } from '../platform/clock.js';
import { Permanent, Retryable } from '../platform/errors.js';

/**
 * Seller → KooGallery license upload (字符串/文件流上传, spec §7.2): `POST
 * /api/mkp-openapi-public/global/v1/market-event/{event_id}/file`, multipart with a `file` part and
 * an `isvUpdateFileReq` JSON part (`type FILE`, `file_name`, `sha256`), signed `SDK-HMAC-SHA256`
 * with the seller's AK/SK and the body left out (`X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`, spec
 * §2.6). One attempt per call: the engine's step policy retries what is `Retryable`. The fallback
 * host takes the upload when the first does not answer or answers 5xx.
 */
const uploadPath = (eventId: string) =>
  `/api/mkp-openapi-public/global/v1/market-event/${encodeURIComponent(eventId)}/file`;

/** The marketplace refused the upload: its code says why; uploading again would not help. */
export class LicenseUploadRefused extends Permanent {
  override name = 'LicenseUploadRefused';
}

/** The marketplace could not take the upload now: asking again later can succeed. */
class LicenseUploadUnavailable extends Retryable {
  override name = 'LicenseUploadUnavailable';
  /** No answer or a 5xx: the host itself is down, so the fallback host is tried. */
  hostDown = false;
}

const success = 'CBC.0000';
/** Transient answers (spec §7.2): internal errors on either side. */
const transient = new Set(['CBC.0999', '91381036']);
/** What an operator reads next to a permanent code. */
const advice: Record<string, string> = {
  'CBC.0150': 'authentication failed: check KGD_CLOUD_AK / KGD_CLOUD_SK are the seller account’s',
  'CBC.0101': 'invalid parameter',
  '91381033': 'License resource unavailable',
  '91381034': 'the buyer’s License application is invalid',
  '91381035': 'no License quota left in the period',
  '91381037': 'license format wrong',
  '91381038': 'the License application was denied',
  '91380150': 'the account’s role lacks the upload permission',
};

/** The two multipart parts, byte for byte (the body is not signed, so a random boundary is fine). */
function multipartBody(file: LicenseFile, boundary: string): Buffer {
  const meta = JSON.stringify({ type: 'FILE', file_name: file.name, sha256: file.sha256 });
  const quoted = file.name.replace(/["\\\r\n]/g, '_');
  return Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${quoted}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
    Buffer.from(file.text, 'utf8'),
    Buffer.from(
      `\r\n--${boundary}\r\nContent-Disposition: form-data; name="isvUpdateFileReq"\r\n` +
        `Content-Type: application/json\r\n\r\n${meta}\r\n--${boundary}--\r\n`,
    ),
  ]);
}

export function createLicenseUploadClient(deps: {
  /** Site hosts in order, e.g. https://mkt.myhuaweicloud.com then https://mkt.myhuaweicloud.cn. */
  hosts: readonly string[];
  ak: string;
  sk: string;
  clock: Clock;
  timeoutMs: number;
  fetch?: typeof fetch;
}): LicenseDelivery {
  const doFetch = deps.fetch ?? fetch;
  if (deps.hosts.length === 0) throw new Error('license upload: no marketplace host configured');

  async function once(
    host: string,
    eventId: string,
    file: LicenseFile,
    signal?: AbortSignal,
  ): Promise<UploadReceipt> {
    const url = new URL(uploadPath(eventId), host).toString();
    const boundary = `kgd-${randomBytes(12).toString('hex')}`;
    const body = multipartBody(file, boundary);
    const headers = signRequest(
      {
        method: 'POST',
        url,
        headers: {
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'x-sdk-content-sha256': 'UNSIGNED-PAYLOAD',
        },
      },
      { ak: deps.ak, sk: deps.sk },
      deps.clock.now(),
    );
    delete headers.host; // fetch sets it; it was signed with the same value
    const timeout = AbortSignal.timeout(deps.timeoutMs);
    let res: Response;
    try {
      res = await doFetch(url, {
        method: 'POST',
        headers,
        body,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (cause) {
      const err = new LicenseUploadUnavailable(
        `license upload for event ${eventId} to ${host} did not answer: ${(cause as Error).message}`,
        { cause },
      );
      err.hostDown = true;
      throw err;
    }
    const text = await res.text();
    let answer: { error_code?: unknown; error_msg?: unknown } = {};
    try {
      answer = JSON.parse(text);
    } catch {
      // Read from the status below.
    }
    const code = typeof answer.error_code === 'string' ? answer.error_code : `HTTP.${res.status}`;
    const msg = typeof answer.error_msg === 'string' ? answer.error_msg.slice(0, 200) : '';
    if (code === success && res.ok) return { code, host };
    const what = `license upload for event ${eventId} failed with ${code}${msg ? ` (${msg})` : ''}`;
    if (res.status >= 500 || transient.has(code)) {
      const err = new LicenseUploadUnavailable(what, { code });
      err.hostDown = res.status >= 500;
      throw err;
    }
    throw new LicenseUploadRefused(`${what}: ${advice[code] ?? 'refused by the marketplace'}`, {
      code,
    });
  }

  return {
    async upload(eventId, file, signal) {
      let last: unknown;
      for (const host of deps.hosts) {
        try {
          return await once(host, eventId, file, signal);
        } catch (err) {
          // The fallback host only when this one was unavailable (no answer, 5xx); a refusal or
          // a transient code the marketplace answered is the marketplace's word.
          if (!(err instanceof LicenseUploadUnavailable && err.hostDown) || signal?.aborted)
            throw err;
          last = err;
        }
      }
      throw last;
    },
  };
}
