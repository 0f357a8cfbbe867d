import { randomBytes } from 'node:crypto';
import { v1AuthToken, v2Signature } from '../../marketplace/protocol/signatures.js';
import type { InboxEntry } from '../../platform/db/schema.js';
import { ActionError } from '../../platform/errors.js';
import type { SecretBox } from '../../platform/secrets.js';
import type { ReplayResult } from '../model.js';
import { redactAnswer } from '../queries/inbox.js';

/** Sends a request to the gateway: in-process (`app.fetch`) or over HTTP to a running service. */
type GatewaySender = (request: Request) => Promise<Response>;

export interface ReplayDeps {
  secretBox: SecretBox;
  /** The marketplace keys the gateway accepts; the call is re-signed with the one it used. */
  keys: string[];
  /** Production URL the request is rebuilt for, e.g. http://127.0.0.1:8080/koogallery/produce. */
  produceUrl: string;
  send: GatewaySender;
}

const v1Stamp = (at: Date) =>
  at
    .toISOString()
    .replace(/[-:TZ.]/g, '')
    .slice(0, 17);

/**
 * Rebuilds a recorded marketplace call as the marketplace would resend it: the same parameters
 * or body, with a fresh timestamp and nonce and a signature under the current key (the original
 * signature is stale by now, and its nonce is spent).
 */
export function resignedRequest(row: InboxEntry, raw: string, key: string, now: Date, url: string) {
  if (row.protocol === 'v1') {
    const params = [...new URLSearchParams(raw)].filter(
      ([k]) => k !== 'authToken' && k !== 'timeStamp',
    );
    params.push(['timeStamp', v1Stamp(now)]);
    const qs = new URLSearchParams([...params, ['authToken', v1AuthToken(key, params)]]);
    return new Request(`${url}?${qs}`, { method: 'GET' });
  }
  if (row.protocol === 'v2') {
    const cut = raw.indexOf('\n');
    const body = cut >= 0 ? raw.slice(cut + 1) : '';
    const extra = [...new URLSearchParams(cut >= 0 ? raw.slice(0, cut) : '')].filter(
      ([k]) => !['signature', 'timestamp', 'nonce'].includes(k),
    );
    const nonce = randomBytes(16).toString('hex').toUpperCase();
    const timestamp = String(now.getTime());
    const signature = v2Signature(key, nonce, timestamp, body, 'hmac');
    const qs = new URLSearchParams([
      ...extra,
      ['signature', signature],
      ['timestamp', timestamp],
      ['nonce', nonce],
    ]);
    return new Request(`${url}?${qs}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
  }
  throw new ActionError(
    'UNAVAILABLE',
    `inbox entry ${row.id} has no protocol to replay (${row.protocol})`,
  );
}

/** Replays one inbox entry through the gateway; shows the new answer next to the stored one. */
export async function replayInboxEntry(
  deps: ReplayDeps,
  row: InboxEntry,
  now: Date,
): Promise<ReplayResult> {
  const raw = deps.secretBox.open(row.raw_sealed, 'inbox:raw');
  const key = deps.keys[row.key_index ?? 0] ?? deps.keys[0];
  if (!key)
    throw new ActionError('UNAVAILABLE', 'no marketplace key configured to sign the replay with');
  const res = await deps.send(resignedRequest(row, raw, key, now, deps.produceUrl));
  const text = await res.text();
  const answer = redactAnswer(text);
  const resultCode =
    answer && typeof answer === 'object' && 'resultCode' in answer
      ? String((answer as { resultCode: unknown }).resultCode)
      : `HTTP ${res.status}`;
  return {
    inboxId: String(row.id),
    activity: row.activity,
    stored: { resultCode: row.result_code, answer: redactAnswer(row.answer) },
    replayed: { resultCode, answer, status: res.status },
  };
}
