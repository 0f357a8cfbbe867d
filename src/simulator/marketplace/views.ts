import type { SimInstance } from './instances.js';
import { toOrderInfo } from './order-query-api.js';
import type { Started } from './scenario.js';

/** JSON shapes the control API answers with. */

export function instanceView(inst: SimInstance) {
  return {
    ...inst,
    terms: {
      ...inst.terms,
      expireTime: inst.terms.expireTime?.toISOString(),
    },
  };
}

export function startedView(s: Started) {
  return {
    operation: { ...s.operation.view },
    instance: s.instance ? instanceView(s.instance) : undefined,
    order: s.order ? { ...toOrderInfo(s.order), cancelled: s.order.cancelled ?? false } : undefined,
  };
}
