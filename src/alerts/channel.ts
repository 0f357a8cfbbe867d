import type { AlertSeverity } from './kinds.js';
import type { AlertNotice } from './notice.js';

type ChannelType = 'webhook' | 'wecom' | 'dingtalk' | 'feishu' | 'email' | 'smn';

/**
 * Where notices go: one configured receiver. `send` resolves once the receiver accepted the
 * notice and throws `Retryable` (timeouts, 5xx, throttling) or `Permanent` (a refused secret or
 * address); its messages never carry the channel's URL or secrets.
 *
 * @example
 *   await channel.send(notice, AbortSignal.timeout(10_000));
 */
export interface AlertChannel {
  name: string;
  type: ChannelType;
  /** The severities this channel receives (routing). */
  severities: readonly AlertSeverity[];
  send(notice: AlertNotice, signal?: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}
