import { createHmac } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import type { AlertChannel } from '../channel.js';
import type { AlertSeverity } from '../kinds.js';

import { type FetchFn, postJson } from './http-post.js';

/**
 * The generic webhook: the notice as JSON (schema in docs/alerts.md), signed when a secret is
 * set. `X-Kgd-Signature: v1=<hex HMAC-SHA256(secret, "<X-Kgd-Timestamp>.<body>")>` over the exact
 * body bytes; the receiver recomputes it, compares in constant time and refuses timestamps older
 * than a few minutes (a replayed capture).
 */
export function createWebhookChannel(
  spec: { name: string; url: string; secret?: string | undefined; severities: AlertSeverity[] },
  deps: { fetch: FetchFn; clock: Clock },
): AlertChannel {
  return {
    name: spec.name,
    type: 'webhook',
    severities: spec.severities,
    async send(notice, signal) {
      const body = JSON.stringify(notice);
      const timestamp = String(Math.floor(deps.clock.now().getTime() / 1000));
      const headers: Record<string, string> = {
        'x-kgd-delivery': notice.id,
        'x-kgd-event': notice.event,
        'x-kgd-timestamp': timestamp,
        'user-agent': 'koogallery-deployer-alerts/1',
      };
      if (spec.secret) headers['x-kgd-signature'] = webhookSignature(spec.secret, timestamp, body);
      await postJson(deps.fetch, spec.name, spec.url, body, { headers, signal });
    },
  };
}

function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}
