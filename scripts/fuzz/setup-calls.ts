import { type Builder, type Env, type FuzzCall, signedV1, signedV2 } from './model.js';
import type { Standing } from './oracle.js';
import { expectFor } from './oracle.js';
import { validBase } from './targets.js';

/**
 * The run's own instances, bought through the endpoint before the fuzzing: live ones (renewed,
 * upgraded, frozen, queried), ones set aside for release, and ones released at once. Answers
 * arrive in any order; each is filed under its call's slot, so the pools (and every later draw
 * from them) follow the seed, not the timing.
 */
interface Bought {
  protocol: 'v1' | 'v2';
  pool: Standing | 'to-release';
  id: string;
  orderId: string;
  orderLineId: string;
}

export interface Registry {
  standing: Map<string, Standing>;
  bought: (Bought | undefined)[];
  released: (string | undefined)[];
  toRelease: string[];
}

export const createRegistry = (): Registry => ({
  standing: new Map(),
  bought: [],
  released: [],
  toRelease: [],
});

function finish(env: Env, detail: string, wire: FuzzCall['wire']): FuzzCall {
  const expect = expectFor(wire, env.oracle, Date.now());
  return { cls: 'valid', detail: `set-up ${detail}`, wire, expect };
}

export function purchase(
  protocol: 'v1' | 'v2',
  pool: Bought['pool'],
  reg: Registry,
  slot: number,
): Builder {
  return (rng, env) => {
    const b = validBase(rng, env, protocol, 'newInstance');
    const wire =
      protocol === 'v1'
        ? signedV1(env, 'newInstance', b.fields)
        : signedV2(rng, env, { activity: 'newInstance', ...b.fields });
    const c = finish(env, `${protocol} newInstance (${pool})`, wire);
    c.onAnswer = (a) => {
      if (!a.instanceId || !['000000', '000004'].includes(a.resultCode ?? '')) return;
      const f = b.fields as Record<string, string>;
      const line = f.orderLineId ?? '';
      reg.bought[slot] = {
        protocol,
        pool,
        id: a.instanceId,
        orderId: f.orderId!,
        orderLineId: line,
      };
    };
    return c;
  };
}

/** Files the purchases into the run's pools, in slot order. */
export function settlePurchases(reg: Registry, env: Env): void {
  for (const b of reg.bought) {
    if (!b) continue;
    if (b.pool === 'to-release') {
      reg.toRelease.push(b.id);
      continue;
    }
    reg.standing.set(b.id, b.pool);
    if (b.pool === 'release-target') env.pools.releaseTargets.push(b.id);
    if (b.pool !== 'live') continue;
    if (b.protocol === 'v1') {
      env.pools.v1Live.push(b.id);
      env.pools.v1Orders.push({ orderId: b.orderId, instanceId: b.id });
    } else {
      env.pools.v2Live.push(b.id);
      env.pools.v2Orders.push({ orderId: b.orderId, orderLineId: b.orderLineId, instanceId: b.id });
    }
  }
}

export const license: Builder = (rng, env) => {
  const b = validBase(rng, env, 'v1', 'getLicense');
  return finish(env, 'v1 getLicense', signedV1(env, 'getLicense', b.fields));
};

/** Releases the i-th instance set aside; once answered it is known as released. */
export function release(i: number, reg: Registry): Builder {
  return (rng, env) => {
    const id = reg.toRelease[i % reg.toRelease.length]!;
    // Until its answer arrives, the release may or may not have happened.
    reg.standing.set(id, 'release-target');
    const b = validBase(rng, env, i % 2 === 0 ? 'v1' : 'v2', 'releaseInstance', 'unknown');
    const fields = { ...b.fields, instanceId: id };
    const wire =
      b.protocol === 'v1'
        ? signedV1(env, 'releaseInstance', fields)
        : signedV2(rng, env, { activity: 'releaseInstance', ...fields });
    const c = finish(env, `${b.protocol} releaseInstance`, wire);
    c.onAnswer = (a) => {
      if (a.resultCode === '000000') reg.released[i] = id;
    };
    return c;
  };
}

export function settleReleases(reg: Registry, env: Env): void {
  for (const id of reg.released) {
    if (!id) continue;
    reg.standing.set(id, 'released');
    env.pools.released.push(id);
  }
}
