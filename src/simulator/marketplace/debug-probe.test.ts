import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../test/support/fakes/manual-clock.js';
import { createVirtualTimer } from '../../../test/support/marketplace-sim/virtual-timer.js';
import { createDebugProbe, probeIntervalMs, savedDebugCases } from './debug-probe.js';
import type { CallResult, MarketplaceClient } from './marketplace-client.js';
import type { CallSpec } from './request-builder.js';

/** A seller endpoint in memory: newInstance opens `kgi-<protocol>`, V2 queries poll once. */
function fakeClient(sent: CallSpec[]): MarketplaceClient {
  let polled = false;
  const call = async (spec: CallSpec): Promise<CallResult> => {
    sent.push(spec);
    const busy = spec.activity === 'queryInstance' && spec.protocol === 'v2' && !polled;
    if (busy) polled = true;
    const resultCode = busy ? '000004' : '000000';
    const instanceId = spec.activity === 'newInstance' ? `kgi-${spec.protocol}` : undefined;
    return {
      request: {} as CallResult['request'],
      bodySign: 'valid',
      bodySignValid: true,
      latencyMs: 1,
      problems: [],
      resultCode,
      ...(instanceId ? { instanceId } : {}),
      accepted: !busy,
    } as CallResult;
  };
  return { build: () => ({}) as never, send: (spec) => call(spec), call };
}

describe('debug probe', () => {
  it('replays the saved cases with testFlag=1, filling the instance ids the first newInstance returned', async () => {
    const clock = createManualClock({ start: new Date('2026-11-23T00:00:00Z') });
    const sent: CallSpec[] = [];
    const probe = createDebugProbe({
      client: fakeClient(sent),
      timer: createVirtualTimer(clock),
      settings: () => ({ productionUrl: 'https://seller.example.com/produce', key: 'k' }),
    });
    const rounds = await probe.run({ rounds: 2 });
    expect(rounds.map((r) => r.passed)).toEqual([true, true]);
    // One extra call: the V2 queryInstance answered 000004 once and was polled again.
    expect(sent).toHaveLength(2 * savedDebugCases.length + 1);
    expect(sent.every((s) => s.fields.testFlag === '1')).toBe(true);
    const named = sent.map((s) => s.fields.instanceId).filter(Boolean);
    expect(new Set(named)).toEqual(new Set(['kgi-v1', 'kgi-v2', 'kgi-debug-case-saved-long-ago']));
    expect(probe.instanceIds()).toEqual({ '{v1Instance}': 'kgi-v1', '{v2Instance}': 'kgi-v2' });
    expect(clock.now().getTime() - Date.parse('2026-11-23T00:00:00Z')).toBeGreaterThanOrEqual(
      probeIntervalMs,
    );
  });
});
