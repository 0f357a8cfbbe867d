import { type AlertCondition, createAlerting } from '../alerts/alerting.js';
import { certificateExpiry, marketplaceKeyRotation } from '../alerts/certificate.js';
import { loadAlertChannels } from '../alerts/channel-config.js';
import { createServerQuotaWatch } from '../alerts/cloud-quota.js';
import { createAlertDeliverer } from '../alerts/deliver.js';
import type { AlertKind } from '../alerts/kinds.js';
import type { AlertContext } from '../alerts/outbox.js';
import type { ServerQuotaSource } from '../cloud/cloud-api.js';
import { silenceSdkLogging } from '../cloud/sdk-quiet.js';
import {
  createAccessWatch,
  createQuotaUse,
  failedDeployments,
  failingLicenseUploads,
  failingProbes,
  lateDeployments,
  lostReplicas,
} from '../deployments/alerts.js';
import type { Clock } from '../platform/clock.js';
import type { Ids } from '../platform/ids.js';
import type { ProductCatalog } from '../products/catalog.js';
import type { Runtime } from './runtime.js';

const minute = 60_000;

/**
 * Alert delivery, wired: the channels of the configuration, the outbox context, and the watched
 * conditions with how often each is looked at.
 */
export function composeAlerting(
  runtime: Runtime,
  parts: {
    clock: Clock;
    ids: Ids;
    catalog: ProductCatalog;
    isLeader: () => boolean;
    /** The project's ECS quotas, read from the cloud (ShowServerLimits). */
    quota?: ServerQuotaSource | undefined;
    onOpened: (kind: AlertKind) => void;
    tickMs?: number | undefined;
    /** Caps every condition's interval (tests). */
    evaluateEveryMs?: number | undefined;
  },
) {
  const { config, logger } = runtime;
  const db = runtime.database.db;
  const { clock } = parts;
  const channels = loadAlertChannels(config, {
    fetch,
    clock,
    secretBox: runtime.secretBox,
    scrubber: runtime.scrubber,
    quietSdk: silenceSdkLogging,
  });
  const ctx: AlertContext = {
    db,
    clock,
    ids: parts.ids,
    channels,
    source: config.publicUrl,
    resolveAfterMs: config.alerts.resolveAfterMs,
  };
  const quota = parts.quota;
  const serverQuotaUse =
    quota &&
    createServerQuotaWatch({
      read: () => quota.serverQuota(),
      clock,
      ratio: config.alerts.quotaRatio,
      everyMs: Math.min(minute, parts.evaluateEveryMs ?? minute),
    });
  const conditions: AlertCondition[] = [
    {
      kinds: ['deployment-late'],
      everyMs: minute,
      evaluate: () => lateDeployments({ db, clock, alertAfterMs: config.deployAlertMs }),
    },
    {
      kinds: ['deployment-failed', 'cleanup-failed'],
      everyMs: minute,
      evaluate: () => failedDeployments({ db }),
    },
    {
      kinds: ['license-upload-failing'],
      everyMs: minute,
      evaluate: () => failingLicenseUploads({ db }),
    },
    {
      kinds: ['probe-failing'],
      everyMs: minute,
      evaluate: () => failingProbes({ db, clock }),
    },
    {
      kinds: ['replica-lost'],
      everyMs: minute,
      evaluate: () => lostReplicas({ db, clock, deadAfterMs: config.replicaTimeoutMs }),
    },
    {
      // The create rate is per minute: looked at more often than that. The project's ECS quotas
      // (servers, vCPUs, memory) are read from the cloud once a minute.
      kinds: ['cloud-quota-nearly-exhausted'],
      everyMs: 10_000,
      evaluate: async () => [
        ...(await createQuotaUse({ db, limitPerMinute: config.cloud.createRatePerMinute })),
        ...(serverQuotaUse ? await serverQuotaUse() : []),
      ],
    },
    {
      kinds: ['buyer-access-lost'],
      everyMs: minute,
      evaluate: createAccessWatch({ db, catalog: parts.catalog, fetch }),
    },
    {
      kinds: ['certificate-expiring', 'marketplace-key-expiring'],
      everyMs: 60 * minute,
      evaluate: async () => [
        ...(await certificateExpiry({
          publicUrl: config.publicUrl,
          now: clock.now(),
          warnMs: config.alerts.certificateWarnMs,
        })),
        ...marketplaceKeyRotation({
          rotateBy: config.alerts.marketplaceKeyRotateBy,
          now: clock.now(),
          warnMs: config.alerts.certificateWarnMs,
        }),
      ],
    },
  ];
  if (channels.length > 0)
    logger.info(
      { channels: channels.map((c) => `${c.name} (${c.type}: ${c.severities.join(', ')})`) },
      'alert channels configured',
    );
  else
    logger.warn(
      'no alert channel configured: alerts are only logged and counted (KGD_ALERT_WEBHOOK_URL, KGD_ALERTS_FILE: docs/alerts.md)',
    );
  const cap = parts.evaluateEveryMs;
  return createAlerting({
    ctx,
    deliverer: createAlertDeliverer({
      db,
      clock,
      logger: logger.child({ component: 'alerts' }),
      channels,
    }),
    conditions: cap
      ? conditions.map((c) => ({ ...c, everyMs: Math.min(c.everyMs, cap) }))
      : conditions,
    logger: logger.child({ component: 'alerts' }),
    isLeader: parts.isLeader,
    onOpened: parts.onOpened,
    tickMs: parts.tickMs,
  });
}
