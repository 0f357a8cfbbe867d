import pg from 'pg';
import { createSecretBox } from '../../src/platform/secrets.js';
import type { Inventory } from '../../src/simulator/cloud/inspection.js';
import type { LedgerEntry, Violation } from '../../src/simulator/marketplace/ledger.js';

/** The required outcome of a chaos run, each check with the evidence behind it. */
export interface Purchase {
  orderId: string;
  protocol: 'v1' | 'v2';
  renewedEarly: boolean;
  releaseSent: boolean;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

/** The nonce (V2) or authToken (V1) that identifies one call, from its URL or stored raw form. */
function callId(url: string): string | undefined {
  const q = new URL(url, 'http://x').searchParams;
  return q.get('nonce') ?? q.get('authToken') ?? undefined;
}

export async function runChecks(input: {
  databaseUrl: string;
  masterKey: Buffer;
  purchases: Purchase[];
  ledger: LedgerEntry[];
  violations: Violation[];
  inventory: (live: string[]) => Promise<Inventory>;
}): Promise<CheckResult[]> {
  const client = new pg.Client({ connectionString: input.databaseUrl });
  await client.connect();
  try {
    const results: CheckResult[] = [];
    const { rows: instances } = await client.query<{
      id: string;
      order_id: string;
      status: string;
      status_detail: string | null;
    }>('SELECT id, order_id, status, status_detail FROM instances');
    const byOrder = new Map<string, typeof instances>();
    for (const i of instances) byOrder.set(i.order_id, [...(byOrder.get(i.order_id) ?? []), i]);

    // Every order ends ready, or released where a release was sent (no permanent fault is injected).
    const wrong: string[] = [];
    for (const p of input.purchases) {
      const found = byOrder.get(p.orderId) ?? [];
      const expected = p.releaseSent ? 'released' : 'ready';
      if (found.length !== 1) wrong.push(`${p.orderId}: ${found.length} instances`);
      else if (found[0]!.status !== expected)
        wrong.push(
          `${p.orderId}: ${found[0]!.status} (expected ${expected}) ${found[0]!.status_detail ?? ''}`,
        );
    }
    const counts = new Map<string, number>();
    for (const i of instances) counts.set(i.status, (counts.get(i.status) ?? 0) + 1);
    results.push({
      name: 'every order ready, or released where a release was sent',
      ok: wrong.length === 0,
      detail: `${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}${wrong.length ? `; wrong: ${wrong.slice(0, 5).join('; ')}` : ''}`,
    });

    const { rows: open } = await client.query(
      "SELECT count(*)::int AS n FROM operations WHERE status IN ('pending', 'running')",
    );
    results.push({
      name: 'no operation left unfinished',
      ok: open[0].n === 0,
      detail: `${open[0].n} pending or running`,
    });

    // One server per live instance, none for released ones, nothing without an owner.
    const live = instances.map((i) => i.id);
    const inventory = await input.inventory(live);
    const perInstance = new Map<string, number>();
    for (const s of inventory.servers) {
      const owner = s.tags['kgd-instance'] ?? '(untagged)';
      perInstance.set(owner, (perInstance.get(owner) ?? 0) + 1);
    }
    const duplicates = [...perInstance].filter(([, n]) => n > 1);
    results.push({
      name: 'zero duplicate servers',
      ok: duplicates.length === 0,
      detail: `${inventory.servers.length} servers for ${counts.get('ready') ?? 0} ready instances${duplicates.length ? `; duplicated: ${duplicates.map(([id, n]) => `${id}×${n}`).join(', ')}` : ''}`,
    });
    const releasedWithServers = instances.filter(
      (i) => i.status === 'released' && perInstance.has(i.id),
    );
    results.push({
      name: 'zero cloud resources without an owner',
      ok: inventory.orphans.length === 0 && releasedWithServers.length === 0,
      detail: `${inventory.orphans.length} orphans, ${releasedWithServers.length} released instances still holding servers; VPCs ${inventory.vpcs.length}, subnets ${inventory.subnets.length}, groups ${inventory.securityGroups.length}, EIPs ${inventory.eips.length}`,
    });

    // Every call the marketplace believes answered is in the inbox.
    const box = createSecretBox(input.masterKey);
    const { rows: inbox } = await client.query<{ raw_sealed: string; result_code: string }>(
      'SELECT raw_sealed, result_code FROM inbox',
    );
    const recorded = new Set<string>();
    for (const row of inbox) {
      const raw = box.open(row.raw_sealed, 'inbox:raw');
      const id = callId(`/?${raw.split('\n')[0]}`);
      if (id) recorded.add(id);
    }
    const accepted = input.ledger.filter((e) => e.accepted);
    const lost = accepted.filter((e) => !recorded.has(callId(e.request.url) ?? ''));
    results.push({
      name: 'zero notifications lost',
      ok: lost.length === 0,
      detail: `${accepted.length} calls the marketplace believes answered, all among ${inbox.length} inbox rows${
        lost.length
          ? `; missing: ${lost
              .slice(0, 3)
              .map((e) => `${e.activity} ${e.orderId ?? e.instanceId}`)
              .join(', ')}`
          : ''
      }`,
    });

    // Every call that reached a live process was answered within the 5 s deadline.
    const reached = input.ledger.filter((e) => e.answer.status !== undefined);
    const slow = reached.filter((e) => e.answer.latencyMs >= 5000);
    const maxLatency = Math.max(0, ...reached.map((e) => e.answer.latencyMs));
    results.push({
      name: 'every call that reached a live process answered in under 5 s',
      ok: slow.length === 0,
      detail: `${reached.length} answered (max ${maxLatency.toFixed(0)} ms), ${input.ledger.length - reached.length} hit a dead process or a dropped connection`,
    });

    results.push({
      name: 'resends answered consistently (same instance, same access information)',
      ok: input.violations.length === 0,
      detail:
        input.violations.length === 0
          ? 'no violation'
          : input.violations
              .slice(0, 3)
              .map((v) => v.message)
              .join('; '),
    });
    return results;
  } finally {
    await client.end();
  }
}
