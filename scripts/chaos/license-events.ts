import pg from 'pg';
import type { CheckResult } from './checks.js';

/**
 * Live License delivery under chaos (spec §7): getLicenseAsync events sent to V2 instances, resent
 * by the marketplace (its cadence, concurrent copies, and the same event again later, as after an
 * interrupted transfer), while the upload API fails — 5xx and no answer on the first host (the
 * client moves to the fallback host), 5xx on both hosts and the transient code 91381036 (the
 * engine retries the step) — and the service is killed. Then: one upload per event.
 */

type Control = (route: string, body?: unknown) => Promise<Record<string, unknown>>;

export interface LicenseEvent {
  eventId: string;
  orderId: string;
  fault: string;
}

/** The upload faults scripted before the n-th event, in rotation. */
function faultsFor(n: number, primaryHost: string): { name: string; faults: unknown[] } {
  switch (n % 5) {
    case 1:
      return {
        name: 'first host 503',
        faults: [{ host: primaryHost, status: 503, code: 'CBC.0999' }],
      };
    case 2:
      // Longer than KGD_ORDER_API_TIMEOUT_MS (10 s): the client gives up and tries the fallback.
      return { name: 'first host no answer', faults: [{ host: primaryHost, hangMs: 12_000 }] };
    case 3:
      return {
        name: '500 on both hosts',
        faults: [
          { status: 500, code: 'CBC.0999' },
          { status: 500, code: 'CBC.0999' },
        ],
      };
    case 4:
      return { name: '91381036 inner error', faults: [{ status: 200, code: '91381036' }] };
    default:
      return { name: 'none', faults: [] };
  }
}

/** The n-th event for a purchase whose instance the marketplace knows (its newInstance answered). */
export async function sendLicenseEvent(
  control: Control,
  input: { orderId: string; n: number; primaryHost: string; random: () => number },
): Promise<LicenseEvent> {
  const { name, faults } = faultsFor(input.n, input.primaryHost);
  if (faults.length > 0) await control('/license-uploads/faults', { faults });
  const deviceFingerprint = `00:1A:2B:3C:4D:${String(input.n % 100).padStart(2, '0')}|DISK-${input.n}|BOARD|CPU`;
  const sent = await control(`/instances/${input.orderId}/license-events`, {
    deviceFingerprint,
    resends: Math.floor(input.random() * 3),
    duplicates: input.random() < 0.2 ? 2 : 1,
    wait: 'none',
  });
  const eventId = String(sent.eventId);
  // The same application once more, later (a retry after an interrupted transfer).
  setTimeout(
    () => {
      control(`/instances/${input.orderId}/license-events`, {
        eventId,
        deviceFingerprint,
        wait: 'none',
      }).catch(() => {});
    },
    1000 + input.random() * 4000,
  );
  return { eventId, orderId: input.orderId, fault: name };
}

interface Upload {
  eventId: string;
  sha256: string;
  host: string;
}

/** One upload per event: each event's operation succeeded and its license arrived once. */
export async function checkLicenseUploads(input: {
  databaseUrl: string;
  events: LicenseEvent[];
  uploads: Upload[];
  fallbackHost: string;
}): Promise<CheckResult[]> {
  const client = new pg.Client({ connectionString: input.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ idempotency_key: string; status: string }>(
      "SELECT idempotency_key, status FROM operations WHERE kind = 'license-upload'",
    );
    const opStatus = new Map(rows.map((r) => [r.idempotency_key, r.status]));
    const wrong: string[] = [];
    let fallback = 0;
    let repeated = 0;
    for (const e of input.events) {
      const ups = input.uploads.filter((u) => u.eventId === e.eventId);
      const status = opStatus.get(`license-upload:${e.eventId}`);
      if (status !== 'succeeded') wrong.push(`${e.eventId} (${e.fault}): operation ${status}`);
      // The spec (§7.1): a resend may re-upload the same bytes, never different ones. A kill
      // between the marketplace's answer and the step's checkpoint repeats the upload: counted.
      if (ups.length === 0) wrong.push(`${e.eventId} (${e.fault}): never uploaded`);
      if (new Set(ups.map((u) => u.sha256)).size > 1)
        wrong.push(`${e.eventId} (${e.fault}): different licenses uploaded`);
      if (ups.length > 1) repeated++;
      if (ups.some((u) => u.host === input.fallbackHost)) fallback++;
    }
    const faulted = new Map<string, number>();
    for (const e of input.events) faulted.set(e.fault, (faulted.get(e.fault) ?? 0) + 1);
    const operations = [...new Set(rows.map((r) => r.status))]
      .map((s) => `${rows.filter((r) => r.status === s).length} ${s}`)
      .join(', ');
    return [
      {
        name: 'one license per getLicenseAsync event (uploaded, never different bytes)',
        ok: wrong.length === 0 && input.events.length > 0,
        detail: `${input.events.length} events (faults: ${[...faulted].map(([f, n]) => `${n} ${f}`).join(', ')}), ${input.uploads.length} uploads (${repeated} event(s) uploaded again with the same bytes after a kill), ${fallback} through the fallback host; operations ${operations || 'none'}${wrong.length ? `; wrong: ${wrong.slice(0, 5).join('; ')}` : ''}`,
      },
    ];
  } finally {
    await client.end();
  }
}
