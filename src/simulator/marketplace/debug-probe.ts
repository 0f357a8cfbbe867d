import type { CallResult, MarketplaceClient } from './marketplace-client.js';
import type { Protocol } from './request-builder.js';
import type { Timer } from './timer.js';

/**
 * Probing (拨测, spec §11): KooGallery re-runs a seller's saved debug cases against the
 * production URL every morning and every afternoon, with the parameters saved in the console —
 * the same orderIds (MOCK orders), the same instanceIds the first debug newInstance returned —
 * in the saved order, long after the instances were released. A day of failures is mailed; five
 * days freeze trading.
 */

/** One saved debug case: an activity with the parameters the seller filled in. */
export interface DebugCase {
  protocol: Protocol;
  activity: string;
  /** `testFlag` is added: every debug call carries `1`. */
  fields: Record<string, unknown>;
}

/** Where the saved cases name the instance a debug newInstance returned. */
const v1Instance = '{v1Instance}';
const v2Instance = '{v2Instance}';

/** The change target the seller filled in for changeInstanceCheck: the marketplace's mock product. */
const mockTarget = {
  productId: 'OFFI-DEMO-LICENSE-MONTH',
  skuCode: 'pro',
  linearValue: 1,
  productName: 'demo-license',
};

/**
 * The cases a periodic product's seller saves (new purchase, renewal, expiry, release, plus the
 * rest of each generation's activities): V1 and V2, thin V2 MOCK orders, live License events
 * (getLicenseAsync, whose event ids are saved too, so every round resends the same events) and
 * changeInstanceCheck, cases replayed after the instance's release, and cases naming an instance
 * long gone (saved against an earlier instance, released and purged since).
 */
export const savedDebugCases: readonly DebugCase[] = [
  {
    protocol: 'v1',
    activity: 'newInstance',
    fields: {
      businessId: 'debug-v1-new',
      orderId: 'MOCKPERIODYEARNEW',
      customerId: 'MOCKCUSTOMER0001',
      customerName: 'mock-customer',
      productId: 'OFFI-DEMO-LICENSE-MONTH',
      skuCode: 'basic',
      chargingMode: '1',
      periodType: 'year',
      periodNumber: '1',
      expireTime: '20991231160000',
    },
  },
  { protocol: 'v1', activity: 'queryInstance', fields: { instanceId: v1Instance } },
  {
    protocol: 'v1',
    activity: 'refreshInstance',
    fields: { instanceId: v1Instance, orderId: 'MOCKMONTYRENEW', expireTime: '20991231160000' },
  },
  {
    protocol: 'v1',
    activity: 'upgrade',
    fields: { instanceId: v1Instance, orderId: 'MOCKMONTYCHANGE', skuCode: 'basic' },
  },
  {
    protocol: 'v1',
    activity: 'expireInstance',
    fields: { instanceId: v1Instance, orderId: 'MOCKPERIODYEARNEW' },
  },
  {
    protocol: 'v1',
    activity: 'instanceStatus',
    fields: { instanceId: v1Instance, instanceStatus: 'NORMAL' },
  },
  {
    protocol: 'v1',
    activity: 'releaseInstance',
    fields: { instanceId: v1Instance, orderId: 'MOCKPERIODYEARNEW' },
  },
  {
    protocol: 'v1',
    activity: 'getLicense',
    fields: {
      businessId: 'debug-v1-license',
      orderId: 'MOCKONETIMENEW',
      customerId: 'MOCKCUSTOMER0001',
      productId: 'OFFI-DEMO-LICENSE-MONTH',
      skuCode: 'basic',
      chargingMode: '3',
    },
  },
  {
    protocol: 'v2',
    activity: 'newInstance',
    fields: {
      businessId: 'debug-v2-new',
      orderId: 'MOCKPERIODYEARNEW',
      orderLineId: 'MOCKPERIODYEARNEW-000001',
    },
  },
  { protocol: 'v2', activity: 'queryInstance', fields: { instanceId: v2Instance } },
  {
    protocol: 'v2',
    activity: 'getLicenseAsync',
    fields: {
      instanceId: v2Instance,
      eventId: 'debug-event-0001',
      effectiveTime: '2026-01-01 00:00:00 z',
      expireTime: '2099-12-31 16:00:00 z',
      deviceFingerprint: '00:1A:2B:3C:4D:5E|DISK-1|BOARD-1|CPU-1',
    },
  },
  {
    protocol: 'v2',
    activity: 'refreshInstance',
    fields: {
      scene: 'RENEWAL',
      instanceId: v2Instance,
      orderId: 'MOCKMONTYRENEW',
      orderLineId: 'MOCKMONTYRENEW-000001',
      expireTime: '20991231160000',
    },
  },
  {
    protocol: 'v2',
    activity: 'changeInstanceCheck',
    fields: { instanceId: v2Instance, productInfo: mockTarget },
  },
  {
    protocol: 'v2',
    activity: 'upgradeInstance',
    fields: {
      instanceId: v2Instance,
      orderId: 'MOCKMONTYCHANGE',
      orderLineId: 'MOCKMONTYCHANGE-000001',
    },
  },
  {
    protocol: 'v2',
    activity: 'updateInstanceStatus',
    fields: { instanceId: v2Instance, status: 'FREEZE' },
  },
  {
    protocol: 'v2',
    activity: 'updateInstanceStatus',
    fields: { instanceId: v2Instance, status: 'UNFREEZE' },
  },
  {
    protocol: 'v2',
    activity: 'orderNotify',
    fields: { orderId: 'MOCKMONTYRENEW', orderLineId: 'MOCKMONTYRENEW-000001' },
  },
  { protocol: 'v2', activity: 'releaseInstance', fields: { instanceId: v2Instance } },
  // Saved before the release, replayed after it: the instance is gone, the answer still success.
  {
    protocol: 'v2',
    activity: 'changeInstanceCheck',
    fields: { instanceId: v2Instance, productInfo: mockTarget },
  },
  {
    protocol: 'v2',
    activity: 'getLicenseAsync',
    fields: {
      instanceId: v2Instance,
      eventId: 'debug-event-0002',
      effectiveTime: '2026-01-01 00:00:00 z',
    },
  },
  {
    protocol: 'v2',
    activity: 'refreshInstance',
    fields: {
      scene: 'RENEWAL',
      instanceId: 'kgi-debug-case-saved-long-ago',
      orderId: 'MOCKMONTYRENEW',
      orderLineId: 'MOCKMONTYRENEW-000001',
      expireTime: '20991231160000',
    },
  },
  {
    protocol: 'v2',
    activity: 'getLicenseAsync',
    fields: {
      instanceId: 'kgi-debug-case-saved-long-ago',
      eventId: 'debug-event-0003',
      effectiveTime: '2026-01-01 00:00:00 z',
    },
  },
  {
    protocol: 'v2',
    activity: 'changeInstanceCheck',
    fields: { instanceId: 'kgi-debug-case-saved-long-ago', productInfo: mockTarget },
  },
];

export interface ProbeDeps {
  client: MarketplaceClient;
  timer: Timer;
  settings: () => { productionUrl: string; key: string };
  /** Told each getLicenseAsync event id before it is sent (the upload API accepts only these). */
  onLicenseEvent?(eventId: string): void;
}

export interface ProbeRound {
  results: { case: DebugCase; result: CallResult }[];
  /** Every case answered a success code with a valid answer. */
  passed: boolean;
}

/** Twice a day: the morning and the afternoon run. */
export const probeIntervalMs = 12 * 3_600_000;
/** The marketplace polls a V2 queryInstance answered 000004 (spec §6); this many times a round. */
const queryPolls = 30;
const queryPollMs = 2_000;

/**
 * The marketplace's probe: `round()` sends the saved cases once (the first V1 and V2 newInstance
 * answers fill the instance ids, as the seller did when saving them); `run()` repeats rounds on
 * the probing cadence.
 */
export function createDebugProbe(deps: ProbeDeps, cases: readonly DebugCase[] = savedDebugCases) {
  const ids: Record<string, string> = {};
  const fill = (fields: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? (ids[v] ?? v) : v]),
    );

  async function send(c: DebugCase): Promise<CallResult> {
    const s = deps.settings();
    const spec = {
      protocol: c.protocol,
      url: s.productionUrl,
      key: s.key,
      activity: c.activity,
      fields: { ...fill(c.fields), testFlag: '1' },
    };
    if (c.activity === 'getLicenseAsync') deps.onLicenseEvent?.(String(c.fields.eventId));
    let result = await deps.timer.track(deps.client.call(spec));
    // V2 queryInstance: 000004 means "still opening", polled until the information comes back.
    for (let n = 1; c.activity === 'queryInstance' && result.resultCode === '000004'; n++) {
      if (n >= queryPolls) break;
      await deps.timer.sleep(queryPollMs);
      result = await deps.timer.track(deps.client.call(spec));
    }
    return result;
  }

  async function round(): Promise<ProbeRound> {
    const results: ProbeRound['results'] = [];
    for (const c of cases) {
      const result = await send(c);
      results.push({ case: c, result });
      const placeholder = c.protocol === 'v1' ? v1Instance : v2Instance;
      if (c.activity === 'newInstance' && result.instanceId && !ids[placeholder])
        ids[placeholder] = result.instanceId;
    }
    return { results, passed: results.every((r) => r.result.accepted) };
  }

  /** `rounds` rounds, `everyMs` apart (the first one at once). */
  async function run(options: { rounds: number; everyMs?: number }): Promise<ProbeRound[]> {
    const rounds: ProbeRound[] = [];
    for (let i = 0; i < options.rounds; i++) {
      if (i > 0) await deps.timer.sleep(options.everyMs ?? probeIntervalMs);
      rounds.push(await round());
    }
    return rounds;
  }

  return { round, run, instanceIds: () => ({ ...ids }) };
}

export type DebugProbe = ReturnType<typeof createDebugProbe>;
