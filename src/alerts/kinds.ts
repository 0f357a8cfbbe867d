import type { AlertSeverity } from '../platform/db/schema.js';

export type { AlertSeverity } from '../platform/db/schema.js';

/**
 * The alerts the service raises, by stable name: what a notice says, how urgent it is and the
 * first thing the on-call engineer does (the runbook line). Names never change once shipped:
 * receivers route and silence on them.
 */
export interface AlertKindInfo {
  severity: AlertSeverity;
  title: string;
  runbook: string;
}

export const alertKinds = {
  'deployment-late': {
    severity: 'critical',
    title: 'Deployment not ready well into the marketplace retry window',
    runbook:
      'kgd deployments show <instance> and its logs; fix the cause and kgd deployments rerun <instance> before the window ends, or the order is cancelled',
  },
  'deployment-failed': {
    severity: 'critical',
    title: 'Deployment failed',
    runbook:
      'kgd deployments show <instance> names the failed step and the cloud or SSH error; rerun with kgd deployments rerun <instance> (--flavor, --az to work around capacity)',
  },
  'cleanup-failed': {
    severity: 'warning',
    title: 'Cleanup of a deployment failed: cloud resources may still be billed',
    runbook:
      'kgd deployments show <instance>; retry with kgd deployments retry-cleanup <instance>, then kgd sweep to check nothing tagged remains',
  },
  'probe-failing': {
    severity: 'critical',
    title: 'A KooGallery debug call (probe) was answered with a failure',
    runbook:
      'kgd inbox list shows the test call and its answer; five days of failing probes freeze or delist the product: fix the product template or the endpoint, then rerun the debug case in the seller console',
  },
  'license-upload-failing': {
    severity: 'warning',
    title: 'Installing a license on a buyer server keeps failing',
    runbook:
      'kgd deployments logs <instance> shows the SSH error at issue-license / install-license; check the server is reachable and its disk, the step retries by itself',
  },
  'buyer-access-lost': {
    severity: 'critical',
    title: "A ready deployment's application stopped answering its buyer",
    runbook:
      'open the access URL; kgd deployments show <instance> for the server and EIP; check the server in the cloud console, restart the application or rerun the deployment',
  },
  'cloud-quota-nearly-exhausted': {
    severity: 'warning',
    title: 'A cloud quota is nearly used up',
    runbook:
      "new deployments will be refused or delayed: the subject names the quota (ecs.instances, ecs.cores, ecs.ram: the project's ECS quotas; ecs.createServers: the per-minute create rate); raise it in the Huawei Cloud console (or KGD_CLOUD_CREATE_RATE_PER_MINUTE for the rate), or release unused servers (kgd sweep)",
  },
  'certificate-expiring': {
    severity: 'warning',
    title: 'The TLS certificate of the production endpoint expires soon',
    runbook:
      'renew the certificate of KGD_PUBLIC_URL (the load balancer listener or KGD_TLS_CERT); KooGallery refuses calls to an endpoint whose certificate is not valid',
  },
  'marketplace-key-expiring': {
    severity: 'warning',
    title: 'The marketplace key is due for rotation',
    runbook:
      'create a new Key in the KooGallery seller console, add it first to KGD_MARKETPLACE_KEYS on every replica, then switch the console and remove the old one',
  },
  'replica-lost': {
    severity: 'warning',
    title: 'A replica stopped heartbeating',
    runbook:
      'its unfinished operations were handed to another replica; check the host and the process (systemctl status kgd, journalctl -u kgd) and restart it',
  },
} as const satisfies Record<string, AlertKindInfo>;

export type AlertKind = keyof typeof alertKinds;

export const severityRank: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };
