import {
  type Protocol,
  targeted,
  unknownInstanceId,
  v1Names,
  v2Names,
  validFields,
} from './calls.js';
import type { Base, Env } from './model.js';

export type { Base };

import type { Rng } from './random.js';

/** A well-formed call's content before signing: which activity, on which instance. */

const some = (rng: Rng, ids: string[], n: number) =>
  Array.from({ length: n }, () => rng.pick(ids)).join(',');

/**
 * An instance the activity may be sent to and get success: releases go to instances set aside
 * for release (or already released: a repeat is success), the rest to live ones.
 */
function validTarget(rng: Rng, env: Env, protocol: Protocol, activity: string): string {
  const { pools } = env;
  const live = protocol === 'v1' || rng.chance(0.2) ? pools.v1Live : pools.v2Live;
  const pick = (ids: string[]) => (ids.length > 0 ? rng.pick(ids) : rng.pick(pools.v1Live));
  switch (activity) {
    case 'releaseInstance':
    case 'releaseLicense':
      return rng.chance(0.7) ? pick(pools.releaseTargets) : pick(pools.released);
    case 'expireInstance':
    case 'instanceStatus':
    case 'updateInstanceStatus':
      return rng.chance(0.8) ? pick(live) : pick(pools.released);
    case 'queryInstance':
      return some(rng, live, rng.int(1, 5));
    default:
      return pick(live);
  }
}

function unknownTarget(rng: Rng, activity: string): string {
  if (activity !== 'queryInstance') return unknownInstanceId(rng);
  return Array.from({ length: rng.int(1, 5) }, () => unknownInstanceId(rng)).join(',');
}

/** A valid call of a random activity and protocol (or the given ones). */
export function validBase(
  rng: Rng,
  env: Env,
  protocol: Protocol = rng.pick(['v1', 'v2'] as const),
  activity: string = rng.pick(protocol === 'v1' ? v1Names : v2Names),
  target: 'valid' | 'unknown' = 'valid',
): Base {
  const id = !targeted.has(activity)
    ? ''
    : target === 'valid'
      ? validTarget(rng, env, protocol, activity)
      : unknownTarget(rng, activity);
  return { protocol, activity, fields: validFields(protocol, activity, rng, env.keys[0]!, id) };
}
