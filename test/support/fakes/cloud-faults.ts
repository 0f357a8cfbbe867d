import type { CloudApi } from '../../../src/cloud/cloud-api.js';
import {
  CloudCapacityExhausted,
  CloudConflict,
  CloudPermanent,
  CloudRetryable,
  throttleWaitMs,
} from '../../../src/cloud/errors.js';

export type CloudMethod = keyof CloudApi;

/** Where a sold-out flavor shows: in the create call's answer, or as a failed job. */
interface SoldOut {
  az?: string;
  flavor?: string;
  in?: 'create' | 'job';
}

interface Scripted {
  error: () => Error;
  left: number;
  /** The call takes effect, then fails (its answer lost). */
  afterEffect: boolean;
}

/**
 * Scriptable failures of the fake cloud, each of the class the real adapter throws (errors.ts),
 * so code under test branches exactly as it would on Huawei Cloud.
 *
 * @example
 *   cloud.faults.soldOut({ az: 'cn-north-4a', flavor: 's6.large.2' }); // its create jobs FAIL
 *   cloud.faults.inUse('deleteSubnet', 3); // three Retryable answers, then the delete works
 *   cloud.faults.throttle('getJob');
 *   cloud.faults.permanent('createServer', { code: 'Ecs.0001', message: 'quota exhausted' });
 */
export interface FakeCloudFaults {
  /** Creates (and resizes) to this flavor and/or AZ find no capacity; by a failed job unless `in: 'create'`. */
  soldOut(spec: SoldOut): void;
  /** The next `times` calls of `method` fail with `error` (before taking effect unless `afterEffect`). */
  failNext(
    method: CloudMethod,
    error: Error | (() => Error),
    options?: { times?: number; afterEffect?: boolean },
  ): void;
  /** The next `times` servers deleted with their EIP leave it behind, unbound (§5.4). */
  leaveEips(times: number): void;
  /** The next `times` calls of a delete answer "still in use" (409, Retryable). */
  inUse(method: 'deleteSecurityGroup' | 'deleteSubnet' | 'deleteVpc', times: number): void;
  /** The next `times` calls of `method` are throttled (429 APIGW.0308, Retryable with a wait). */
  throttle(method: CloudMethod, times?: number): void;
  /** Calls of `method` are refused (Permanent) `times` times, every time by default. */
  permanent(
    method: CloudMethod,
    refusal?: { code?: string; message?: string; times?: number },
  ): void;
  clear(): void;
}

export interface FaultTable extends FakeCloudFaults {
  /** The fault for this call, consumed. */
  take(method: CloudMethod): Scripted | undefined;
  /** Whether this server's delete leaves its EIP behind (consumes one `leaveEips`). */
  leavesEip(): boolean;
  /** How a create or resize to (az, flavor) is sold out, if it is. */
  soldOutIn(az: string, flavor: string): 'create' | 'job' | undefined;
}

export function capacityError(operation: string, az: string, flavor: string, code = 'Ecs.0319') {
  return new CloudCapacityExhausted(
    `${operation}: flavor ${flavor} is sold out in ${az}; try another availability zone or flavor`,
    { code, operation, httpStatus: 400 },
  );
}

/** An unknown flavor, as ECS answers it (400 Ecs.0029 "Flavor [x] does not exist."): next flavor. */
export function unknownFlavorError(operation: string, flavor: string) {
  return new CloudCapacityExhausted(
    `${operation}: flavor unavailable (Ecs.0029: Flavor [${flavor}] does not exist.); no availability zone will have it, try another flavor`,
    { code: 'Ecs.0029', operation, httpStatus: 400, scope: 'flavor' },
  );
}

export function inUseError(operation: string, what: string) {
  return new CloudConflict(`${operation}: ${what} is still in use; it will be retried`, {
    code: 'VPC.0104',
    operation,
    httpStatus: 409,
    retryAfterMs: 3000,
  });
}

export function createFaultTable(): FaultTable {
  let scripts = new Map<CloudMethod, Scripted[]>();
  let soldOut: SoldOut[] = [];
  let eipsLeft = 0;
  const add = (method: CloudMethod, s: Scripted) =>
    scripts.set(method, [...(scripts.get(method) ?? []), s]);

  const table: FaultTable = {
    soldOut: (spec) => void soldOut.push({ ...spec }),
    failNext(method, error, options = {}) {
      add(method, {
        error: typeof error === 'function' ? error : () => error,
        left: options.times ?? 1,
        afterEffect: options.afterEffect ?? false,
      });
    },
    leaveEips(times) {
      eipsLeft += times;
    },
    leavesEip() {
      if (eipsLeft <= 0) return false;
      eipsLeft -= 1;
      return true;
    },
    inUse(method, times) {
      table.failNext(method, () => inUseError(method, 'the resource'), { times });
    },
    throttle(method, times = 1) {
      const error = () =>
        new CloudRetryable(`${method}: throttled by the API gateway (APIGW.0308); retried`, {
          code: 'APIGW.0308',
          operation: method,
          httpStatus: 429,
          retryAfterMs: throttleWaitMs,
        });
      table.failNext(method, error, { times });
    },
    permanent(method, refusal = {}) {
      const code = refusal.code ?? 'Ecs.0005';
      const error = () =>
        new CloudPermanent(`${method}: ${refusal.message ?? 'request refused'} (${code})`, {
          code,
          operation: method,
          httpStatus: 400,
        });
      table.failNext(method, error, { times: refusal.times ?? Number.POSITIVE_INFINITY });
    },
    clear() {
      scripts = new Map();
      soldOut = [];
      eipsLeft = 0;
    },
    take(method) {
      const queue = scripts.get(method);
      const next = queue?.[0];
      if (!queue || !next) return undefined;
      next.left -= 1;
      if (next.left <= 0) queue.shift();
      return next;
    },
    soldOutIn(az, flavor) {
      const hit = soldOut.find(
        (s) =>
          (s.az === undefined || s.az === az) && (s.flavor === undefined || s.flavor === flavor),
      );
      return hit ? (hit.in ?? 'job') : undefined;
    },
  };
  return table;
}
