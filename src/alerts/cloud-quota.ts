import type { Clock } from '../platform/clock.js';
import type { AlertInput } from './outbox.js';

interface QuotaUse {
  used: number;
  max: number;
}

/** The project's ECS quotas as the cloud adapter reads them (ShowServerLimits). */
interface ServerQuota {
  instances: QuotaUse | undefined;
  cores: QuotaUse | undefined;
  ramMb: QuotaUse | undefined;
}

const quotaNames = {
  instances: { subject: 'ecs.instances', what: 'servers' },
  cores: { subject: 'ecs.cores', what: 'vCPUs' },
  ramMb: { subject: 'ecs.ram', what: 'MB of memory' },
} as const;

/**
 * The project's ECS quotas from the cloud itself (ShowServerLimits): an alert for each of
 * servers, vCPUs and memory whose use reached `ratio` of the maximum (KGD_ALERT_QUOTA_PERCENT,
 * 80 % by default), cleared once it is below again. The cloud is asked at most once per
 * `everyMs` (the alert loop looks more often, for the per-minute create rate beside it); a read
 * that fails throws, so the alerts stay as they are until the cloud answers.
 */
export function createServerQuotaWatch(deps: {
  read: () => Promise<ServerQuota>;
  clock: Clock;
  ratio: number;
  everyMs?: number;
}) {
  const everyMs = deps.everyMs ?? 60_000;
  let last: { at: number; quota: ServerQuota } | undefined;
  return async function serverQuotaUse(): Promise<AlertInput[]> {
    const now = deps.clock.now().getTime();
    if (!last || now - last.at >= everyMs) last = { at: now, quota: await deps.read() };
    const alerts: AlertInput[] = [];
    for (const key of Object.keys(quotaNames) as Array<keyof typeof quotaNames>) {
      const use = last.quota[key];
      if (!use || use.max <= 0 || use.used < use.max * deps.ratio) continue;
      const { subject, what } = quotaNames[key];
      const percent = Math.round((use.used / use.max) * 100);
      alerts.push({
        kind: 'cloud-quota-nearly-exhausted',
        subject,
        summary: `${use.used} of ${use.max} ${what} used (${percent} % of the project's ECS quota): deployments are refused once it is reached`,
        details: {
          quota: `${subject} (ShowServerLimits)`,
          used: use.used,
          limit: use.max,
          percent,
          thresholdPercent: Math.round(deps.ratio * 100),
        },
      });
    }
    return alerts;
  };
}
