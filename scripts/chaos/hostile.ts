import type pg from 'pg';
import { startTarpit, type Tarpit } from '../../test/support/tarpit-ssh.js';
import { makeTemplates } from '../../test/support/templates.js';
import type { CheckResult } from './checks.js';
import { waitUntil } from './processes.js';

/**
 * Hostile buyers in a chaos run: orders whose extension parameters name a server the service
 * must never reach (loopback, by address and by a host name resolving to it, the metadata
 * address, a private and a carrier-grade NAT address), and orders naming a server that accepts
 * SSH and then never reads (a tarpit on 127.0.0.1, admitted by its lab template as a template
 * would admit a lab network): two whose stall window is 2 s, one whose window is 10 min and that
 * the buyer releases while its upload hangs.
 *
 * The refused orders' product connects on the port of a counting TCP listener on 127.0.0.1: an
 * attempt to reach loopback would show there.
 */
const ssrfTargets: [address: string, rule: string][] = [
  ['127.0.0.1', 'loopback'],
  ['localhost', 'loopback'],
  ['169.254.169.254', 'the metadata address (169.254.169.254)'],
  ['10.20.30.40', 'private (RFC 1918)'],
  ['100.64.1.2', 'carrier-grade NAT (100.64.0.0/10)'],
];
const STALL_WINDOW_S = 2;
/** Steps that reach the server: none may run for a refused address. */
const REMOTE_STEPS = [
  'wait-ssh',
  'upload-package',
  'install-license',
  'first-boot',
  'health-check',
];

type Control = (route: string, body?: unknown) => Promise<Record<string, unknown>>;

interface HostileOrder {
  orderId: string;
  kind: 'ssrf' | 'stall' | 'stall-release';
  address: string;
  rule?: string;
}

export interface HostileBuyers {
  /** KGD_TEMPLATES_DIR of the replicas: demo-license and the three hostile products. */
  templatesDir: string;
  /** For the simulated marketplace's /config. */
  products: Record<string, { protocol: 'v1' | 'v2' }>;
  /** Places every hostile order; the release of the hung one follows in `followUp`. */
  place(control: Control, say: (line: string) => void): Promise<{ followUp: Promise<void> }>;
  check(client: pg.Client): Promise<CheckResult[]>;
  close(): Promise<void>;
}

const extend = (serverIp: string) => [
  { name: 'serverIp', value: serverIp },
  { name: 'serverPassword', value: 'Buyer-Pw-2026x' },
];

export async function prepareHostileBuyers(): Promise<HostileBuyers> {
  const watch: Tarpit = await startTarpit();
  const stall: Tarpit = await startTarpit();
  const hung: Tarpit = await startTarpit();
  const lab = (pit: Tarpit, windowS: number) => ({
    existingServer: { allowCidrs: ['127.0.0.1/32'] },
    ssh: { port: pit.sshPort, waitSeconds: 10, transferWindowSeconds: windowS },
  });
  const templates = makeTemplates([
    // No allow-list: every refused class stays refused; its port is the counting listener's.
    {
      name: 'chaos-ssrf',
      productIds: ['OFFI-CHAOS-SSRF'],
      patch: { ssh: { port: watch.tcpPort, waitSeconds: 10 } },
    },
    { name: 'chaos-stall', productIds: ['OFFI-CHAOS-STALL'], patch: lab(stall, STALL_WINDOW_S) },
    { name: 'chaos-hung', productIds: ['OFFI-CHAOS-HUNG'], patch: lab(hung, 600) },
  ]);
  const orders: HostileOrder[] = [];

  let controlRef: Control | undefined;
  const buy = async (productId: string, serverIp: string) => {
    const bought = await controlRef!('/orders', {
      productId,
      skuCode: 'basic',
      extendParams: extend(serverIp),
      resends: 1,
      wait: 'none',
    });
    return (bought.order as { orderId: string }).orderId;
  };

  return {
    templatesDir: templates.dir,
    products: {
      'OFFI-CHAOS-SSRF': { protocol: 'v1' },
      'OFFI-CHAOS-STALL': { protocol: 'v2' },
      'OFFI-CHAOS-HUNG': { protocol: 'v1' },
    },
    async place(control, say) {
      controlRef = control;
      for (const [address, rule] of ssrfTargets)
        orders.push({
          orderId: await buy('OFFI-CHAOS-SSRF', address),
          kind: 'ssrf',
          address,
          rule,
        });
      for (let i = 0; i < 2; i++)
        orders.push({
          orderId: await buy('OFFI-CHAOS-STALL', '127.0.0.1'),
          kind: 'stall',
          address: '127.0.0.1',
        });
      const hungOrder: HostileOrder = {
        orderId: await buy('OFFI-CHAOS-HUNG', '127.0.0.1'),
        kind: 'stall-release',
        address: '127.0.0.1',
      };
      orders.push(hungOrder);
      say(
        `hostile buyers: ${ssrfTargets.length} orders naming refused addresses (${ssrfTargets.map(([a]) => a).join(', ')}), 2 naming a server that stalls uploads (${STALL_WINDOW_S} s window), 1 stalled and released while its upload hangs`,
      );
      const followUp = (async () => {
        await waitUntil('the hung order to be uploading', () => hung.execs > 0, 20 * 60_000, 200);
        await control(`/instances/${hungOrder.orderId}/release`, { resends: 1, wait: 'none' });
        say(`hostile buyers: release of ${hungOrder.orderId} sent while its upload hangs`);
      })();
      return { followUp };
    },

    async check(client) {
      const results: CheckResult[] = [];
      const { rows } = await client.query<{
        order_id: string;
        instance_id: string;
        status: string;
        status_detail: string | null;
        eip: string | null;
        op_id: string | null;
        op_status: string | null;
        failed_step: string | null;
        kind: string | null;
        ran_s: number | null;
        retries: number;
        remote_lines: number;
      }>(
        `SELECT i.order_id, i.id AS instance_id, i.status, i.status_detail, i.eip,
                o.id AS op_id, o.status AS op_status, o.failed_step, o.kind,
                EXTRACT(EPOCH FROM (o.finished_at - o.created_at))::float AS ran_s,
                (SELECT count(*)::int FROM operation_logs l WHERE l.operation_id = o.id AND l.message LIKE '%retrying in%') AS retries,
                (SELECT count(*)::int FROM operation_logs l WHERE l.operation_id = o.id AND l.step = ANY($2)) AS remote_lines
           FROM instances i LEFT JOIN operations o ON o.instance_id = i.id
          WHERE i.order_id = ANY($1)
          ORDER BY o.seq`,
        [orders.map((o) => o.orderId), REMOTE_STEPS],
      );
      const of = (o: HostileOrder) => rows.filter((r) => r.order_id === o.orderId);
      const deployOf = (o: HostileOrder) => of(o).find((r) => r.kind === 'deploy');
      const instancesOf = (o: HostileOrder) => new Set(of(o).map((r) => r.instance_id)).size;
      const secs = (n: number | null | undefined) => (n == null ? '?' : `${n.toFixed(1)} s`);

      // Refused addresses: failed at the address check, at once, permanently, naming the rule.
      const ssrf = orders.filter((o) => o.kind === 'ssrf');
      const wrongSsrf: string[] = [];
      let slowest = 0;
      for (const o of ssrf) {
        const d = deployOf(o);
        slowest = Math.max(slowest, d?.ran_s ?? Number.POSITIVE_INFINITY);
        if (instancesOf(o) !== 1 || !d) wrongSsrf.push(`${o.address}: ${instancesOf(o)} instances`);
        else if (
          d.status !== 'failed' ||
          d.op_status !== 'failed' ||
          d.failed_step !== 'use-existing-server' ||
          !d.status_detail?.includes('refused to connect to the buyer-named address') ||
          !d.status_detail.includes(o.rule!) ||
          d.retries > 0 ||
          (d.ran_s ?? Number.POSITIVE_INFINITY) > 60
        )
          wrongSsrf.push(
            `${o.address}: ${d.status}/${d.op_status} at ${d.failed_step}, ${d.retries} retries, ${secs(d.ran_s)}: ${d.status_detail ?? ''}`,
          );
      }
      results.push({
        name: 'hostile buyers: every order naming a refused address failed at once, permanently, naming the rule',
        ok: wrongSsrf.length === 0,
        detail: `${ssrf.length} orders (${ssrfTargets.map(([a]) => a).join(', ')}), slowest deploy ${secs(slowest)} from its call, no retry${wrongSsrf.length ? `; wrong: ${wrongSsrf.join('; ')}` : ''}`,
      });

      // Nothing reached a refused address: no remote step ran, nothing connected to loopback.
      const remoteLines = ssrf.reduce((n, o) => n + (deployOf(o)?.remote_lines ?? 0), 0);
      const pinned = ssrf.filter((o) => deployOf(o)?.eip).length;
      results.push({
        name: 'hostile buyers: no SSH, upload or HTTP attempted to a refused address',
        ok: remoteLines === 0 && pinned === 0 && watch.tcpConnections === 0,
        detail: `${remoteLines} log lines of remote steps (${REMOTE_STEPS.join(', ')}), ${pinned} addresses pinned, ${watch.tcpConnections} connections to the loopback listener on the product's SSH port`,
      });

      // Stalled uploads: failed within the stall window (plus connecting), permanently.
      const stalls = orders.filter((o) => o.kind === 'stall');
      const wrongStall: string[] = [];
      let slowestStall = 0;
      for (const o of stalls) {
        const d = deployOf(o);
        slowestStall = Math.max(slowestStall, d?.ran_s ?? Number.POSITIVE_INFINITY);
        if (
          instancesOf(o) !== 1 ||
          d?.status !== 'failed' ||
          d.failed_step !== 'upload-package' ||
          !/stalled/.test(d.status_detail ?? '') ||
          (d.ran_s ?? Number.POSITIVE_INFINITY) > 60
        )
          wrongStall.push(
            `${o.orderId}: ${d?.status}/${d?.op_status} at ${d?.failed_step}, ${secs(d?.ran_s)}: ${d?.status_detail ?? ''}`,
          );
      }
      results.push({
        name: 'hostile buyers: a server that accepts and never reads fails its deploy within its deadline',
        ok: wrongStall.length === 0,
        detail: `${stalls.length} orders, stall window ${STALL_WINDOW_S} s, slowest deploy ${secs(slowestStall)} from its call (bound 60 s under SIGKILLs), ${stall.execs} uploads hung${wrongStall.length ? `; wrong: ${wrongStall.join('; ')}` : ''}`,
      });

      // The hung one: released while its upload hangs; the release completes.
      const h = orders.find((o) => o.kind === 'stall-release')!;
      const release = of(h).find((r) => r.kind === 'release');
      const hungInstance = of(h)[0];
      const releasedOk =
        instancesOf(h) === 1 &&
        hungInstance?.status === 'released' &&
        release?.op_status === 'succeeded' &&
        (release.ran_s ?? Number.POSITIVE_INFINITY) <= 60;
      results.push({
        name: 'hostile buyers: the release of an order whose upload hangs completes',
        ok: releasedOk,
        detail: `instance ${hungInstance?.status ?? 'missing'}, release ${release?.op_status ?? 'missing'} in ${secs(release?.ran_s)} from its call (bound 60 s under SIGKILLs; 10 s in test/engine/hostile-buyer.test.ts), deploy ${deployOf(h)?.op_status ?? '?'}`,
      });
      return results;
    },

    async close() {
      await Promise.all([watch.close(), stall.close(), hung.close()]);
      templates.cleanup();
    },
  };
}
