/**
 * How long the marketplace resends a call the seller failed or left unanswered, per activity
 * family (spec §10), in one place: alerts tell operators when the window ends, and after it only
 * 卖家中心 > 生产接口消息 "重新启动" restarts the call.
 */
export type ActivityFamily =
  | 'purchase'
  | 'upgrade'
  | 'renewal'
  | 'expiry'
  | 'release'
  | 'onlineLicensePurchase'
  | 'onlineLicenseLifecycle'
  | 'licenseCode'
  | 'orderNotify'
  | 'getLicense';

export interface RetryWindow {
  /** The last resend starts no later than this after the first call. */
  windowMs: number;
  /** Time between resends, where documented. */
  intervalMs?: number;
  /** What the marketplace does when the window ends. */
  afterwards: string;
}

const minute = 60_000;
const hour = 60 * minute;

export const marketplaceRetryWindows: Readonly<Record<ActivityFamily, RetryWindow>> = {
  /** V1 newInstance (and SaaS V2, assumed alike): 3 h (hourly per one copy). */
  purchase: {
    windowMs: 3 * hour,
    intervalMs: hour,
    afterwards: 'the order fails and is unsubscribed',
  },
  /** V1 upgrade (and V2 upgradeInstance, assumed alike): 3 h. */
  upgrade: { windowMs: 3 * hour, afterwards: 'the order fails and is unsubscribed' },
  /** V1 refreshInstance (and V2, assumed alike): 1 h. */
  renewal: { windowMs: hour, afterwards: 'resends stop; the buyer risks losing the service' },
  /** V1 expireInstance / instanceStatus (V2 updateInstanceStatus assumed alike): 1 h. */
  expiry: { windowMs: hour, afterwards: 'resends stop' },
  /** V1 releaseInstance (V2 assumed alike): 1 h. */
  release: { windowMs: hour, afterwards: 'resends stop' },
  /** 在线开通License newInstance: every 2 min for 2 h; unresolved after 3 h the order is unsubscribed. */
  onlineLicensePurchase: {
    windowMs: 2 * hour,
    intervalMs: 2 * minute,
    afterwards: 'unsubscribed when still unresolved 3 h after the order',
  },
  /** 在线开通License refreshInstance / updateInstanceStatus: 2 h. */
  onlineLicenseLifecycle: { windowMs: 2 * hour, afterwards: 'resends stop' },
  /** refreshLicenseCode / updateLicenseCodeStatus / releaseLicenseCode: 60 tries every 2 min. */
  licenseCode: { windowMs: 59 * 2 * minute, intervalMs: 2 * minute, afterwards: 'resends stop' },
  /** orderNotify: 3 h. */
  orderNotify: { windowMs: 3 * hour, afterwards: 'resends stop' },
  /** V1 getLicense: 3 h, hourly. */
  getLicense: {
    windowMs: 3 * hour,
    intervalMs: hour,
    afterwards: 'manual retry or manual delivery in 服务监管',
  },
};

/** When the marketplace stops resending a call of `family` first made at `firstCall`. */
export function retryWindowEnds(family: ActivityFamily, firstCall: Date): Date {
  return new Date(firstCall.getTime() + marketplaceRetryWindows[family].windowMs);
}
