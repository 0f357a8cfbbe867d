import { describe, expect, it } from 'vitest';
import { CapacityExhausted, Permanent, Retryable } from '../platform/errors.js';
import {
  CloudCapacityExhausted,
  CloudConflict,
  CloudNotFound,
  CloudPermanent,
  CloudRetryable,
  classifyJobFailure,
  classifySdkFailure,
  looksLikeCapacity,
} from './errors.js';

const ctx = { operation: 'ecs.createPostPaidServers', region: 'cn-north-4' };

describe('classifySdkFailure', () => {
  it.each([
    [{ httpStatusCode: 429, errorCode: 'APIGW.0308', errorMsg: 'over ratelimit' }, Retryable],
    [{ httpStatusCode: 500, errorCode: 'Ecs.0002', errorMsg: 'system error' }, Retryable],
    [{ httpStatusCode: 503, errorMsg: 'unavailable' }, Retryable],
    [{ errorMsg: 'connect ECONNREFUSED 127.0.0.1:1' }, Retryable],
    [{ errorMsg: 'timeout of 500ms exceeded' }, Retryable],
    [{ httpStatusCode: 409, errorCode: 'VPC.0602', errorMsg: 'in use' }, Retryable],
    [{ httpStatusCode: 400, errorCode: 'Ecs.0001', errorMsg: 'quota' }, Permanent],
    [{ httpStatusCode: 409, errorCode: 'VPC.0114', errorMsg: 'Quota exceeded' }, Permanent],
    [{ httpStatusCode: 400, errorCode: 'Ecs.0005', errorMsg: 'bad parameter' }, Permanent],
    [{ httpStatusCode: 400, errorCode: 'Ecs.0011', errorMsg: 'password' }, Permanent],
    [{ httpStatusCode: 403, errorCode: 'Ecs.0003', errorMsg: 'frozen' }, Permanent],
    [{ httpStatusCode: 401, errorCode: 'APIGW.0301', errorMsg: 'signature' }, Permanent],
    [{ httpStatusCode: 404, errorCode: 'Ecs.0114', errorMsg: 'not found' }, Permanent],
    [{ httpStatusCode: 400, errorCode: 'Ecs.0319', errorMsg: 'capacity' }, CapacityExhausted],
    [{ httpStatusCode: 400, errorCode: 'Ecs.0019', errorMsg: 'abandoned' }, CapacityExhausted],
    [
      { httpStatusCode: 400, errorCode: 'Ecs.0000', errorMsg: 'Flavor is sold out' },
      CapacityExhausted,
    ],
  ])('%o is %o', (failure, expected) => {
    const err = classifySdkFailure(failure, ctx);
    expect(err).toBeInstanceOf(expected);
    expect(err.operation).toBe(ctx.operation);
    // Exactly one of the three: capacity is a Permanent, but never a Retryable.
    expect(err instanceof Retryable).toBe(expected === Retryable);
    expect(err instanceof CapacityExhausted).toBe(expected === CapacityExhausted);
  });

  it('keeps the subclasses the adapter itself branches on', () => {
    expect(classifySdkFailure({ httpStatusCode: 404, errorCode: 'Ecs.0114' }, ctx)).toBeInstanceOf(
      CloudNotFound,
    );
    const inUse = classifySdkFailure({ httpStatusCode: 409, errorCode: 'VPC.0602' }, ctx);
    expect(inUse).toBeInstanceOf(CloudConflict);
    expect(inUse).toBeInstanceOf(CloudRetryable);
    expect(inUse).toMatchObject({ code: 'VPC.0602', httpStatus: 409, retryAfterMs: 3000 });
    const sold = classifySdkFailure({ httpStatusCode: 400, errorCode: 'Ecs.0319' }, ctx);
    expect(sold).toBeInstanceOf(CloudCapacityExhausted);
    expect(sold).toBeInstanceOf(Permanent);
  });

  it('writes messages that tell the operator what to check', () => {
    const quota = classifySdkFailure(
      {
        httpStatusCode: 400,
        errorCode: 'Ecs.0001',
        errorMsg: 'Insufficient ECS quota',
        requestId: 'r-1',
      },
      ctx,
    );
    expect(quota.message).toMatch(/quota exhausted \(Ecs\.0001: Insufficient ECS quota\)/);
    expect(quota.message).toMatch(/raise the quota in region cn-north-4/);
    expect(quota.requestId).toBe('r-1');
    const auth = classifySdkFailure({ httpStatusCode: 401, errorCode: 'APIGW.0301' }, ctx);
    expect(auth.message).toMatch(/KGD_CLOUD_AK/);
    const throttled = classifySdkFailure({ httpStatusCode: 429, errorCode: 'APIGW.0308' }, ctx);
    expect(throttled).toBeInstanceOf(CloudRetryable);
    expect((throttled as CloudRetryable).retryAfterMs).toBeGreaterThanOrEqual(60_000);
  });

  it.each([
    ['Ecs.0018', 'Flavor s6.small.1 is sold out', 'az'],
    ['Ecs.0319', 'Check capacity: Capacity is not enough.', 'az'],
    ['Ecs.0044', 'Disk type [SSD] has been sold out in AZ [cn-north-4a]', 'az'],
    ['Ecs.0019', 'Flavor as7.medium.2 is abandoned', 'flavor'],
    ['Ecs.0029', 'The flavor does not exist or has been abandoned', 'flavor'],
    ['Ecs.0027', 'The flavor is private', 'flavor'],
    ['Ecs.0028', 'The account may not use the flavor', 'flavor'],
    ['Ecs.0000', 'Request error: flavor x is abandoned', 'flavor'],
  ])('a synchronous 400 %s is capacity exhausted for the %s', (code, errorMsg, scope) => {
    const err = classifySdkFailure({ httpStatusCode: 400, errorCode: code, errorMsg }, ctx);
    expect(err).toBeInstanceOf(CloudCapacityExhausted);
    expect(err).toMatchObject({ code, scope, httpStatus: 400 });
    expect(err.message).toContain(`${code}: ${errorMsg}`);
  });

  it.each([
    [501, 'Ecs.0603', 60_000],
    [400, 'Ecs.0501', 120_000],
    [400, 'VPC.0004', 5_000],
  ])('%i %s is transient and names its wait', (httpStatusCode, errorCode, wait) => {
    const err = classifySdkFailure({ httpStatusCode, errorCode, errorMsg: 'busy' }, ctx);
    expect(err).toBeInstanceOf(CloudRetryable);
    expect(err).toMatchObject({ code: errorCode, retryAfterMs: wait });
  });

  it('a generic Ecs.0000 is not capacity by itself', () => {
    const err = classifySdkFailure(
      { httpStatusCode: 400, errorCode: 'Ecs.0000', errorMsg: 'Request error' },
      ctx,
    );
    expect(err).toBeInstanceOf(CloudPermanent);
    expect(err).not.toBeInstanceOf(CapacityExhausted);
    expect(err.message).toContain('Ecs.0000: Request error');
  });

  it('keeps an already classified failure and chains the SDK exception as cause', () => {
    const original = new CloudPermanent('x', { code: 'c', operation: 'o' });
    expect(classifySdkFailure(original, ctx)).toBe(original);
    const sdk = { httpStatusCode: 500, errorMsg: 'boom' };
    expect(classifySdkFailure(sdk, ctx).cause).toBe(sdk);
  });
});

describe('job failures', () => {
  it('classifies sold out and capacity reasons as capacity, the rest as permanent', () => {
    const job = (errorCode: string | undefined, failReason: string) => ({
      id: 'j',
      type: 'createServer',
      errorCode,
      failReason,
    });
    expect(
      classifyJobFailure(job('Ecs.0000', 'Flavor s6.small.1 is sold out'), ctx),
    ).toBeInstanceOf(CapacityExhausted);
    expect(classifyJobFailure(job(undefined, 'No valid host was found'), ctx)).toBeInstanceOf(
      CapacityExhausted,
    );
    expect(classifyJobFailure(job('Ecs.0319', 'x'), ctx)).toBeInstanceOf(CapacityExhausted);
    expect(classifyJobFailure(job(undefined, '规格已售罄'), ctx)).toBeInstanceOf(CapacityExhausted);
    const other = classifyJobFailure(job('Ecs.0005', 'image not found'), ctx);
    expect(other).toBeInstanceOf(Permanent);
    expect(other).not.toBeInstanceOf(CapacityExhausted);
    expect(other.message).toMatch(/Ecs\.0005: image not found/);
    expect(looksLikeCapacity(undefined, undefined)).toBe(false);
  });

  it('reads every failed sub-job, errorcode_message included, and keeps the capacity code', () => {
    const failed = classifyJobFailure({
      id: 'j',
      type: 'createServer',
      errorCode: 'Ecs.0219',
      failReason: 'Failed to quickly create server',
      failures: [
        { serverId: 's-1', code: 'Ecs.0219', reason: 'create failed' },
        { serverId: 's-2', code: 'Ecs.0319', reason: 'Check capacity: Capacity is not enough.' },
      ],
    });
    expect(failed).toBeInstanceOf(CloudCapacityExhausted);
    expect(failed).toMatchObject({ code: 'Ecs.0319', operation: 'ecs.showJob' });
    expect(failed.message).toMatch(
      /Ecs\.0219: Failed to quickly create server; Ecs\.0219: create failed; Ecs\.0319/,
    );
    const quota = classifyJobFailure({
      id: 'j',
      type: 'createServer',
      failures: [{ code: 'Ecs.0001', reason: 'instances' }],
    });
    expect(quota).toBeInstanceOf(Permanent);
    expect(quota.message).toMatch(/quota exhausted/);
    expect(classifyJobFailure({ id: 'j', type: 't' }).code).toBe('kgd.job-failed');
  });

  it('reads a code written only in a sub-job reason, and a retired flavor rules out every AZ', () => {
    const fromText = classifyJobFailure({
      id: 'j',
      type: 'createServer',
      failures: [{ reason: 'Ecs.0319: Check capacity: Capacity is not enough.' }],
    });
    expect(fromText).toBeInstanceOf(CloudCapacityExhausted);
    expect(fromText).toMatchObject({ code: 'Ecs.0319', scope: 'az' });
    expect(fromText.message).toContain('(Ecs.0319: Check capacity: Capacity is not enough.)');
    const retired = classifyJobFailure({
      id: 'j',
      type: 'createServer',
      errorCode: 'Ecs.0219',
      failReason: 'Failed to quickly create server',
      failures: [{ code: 'Ecs.0019', reason: 'Flavor as7.medium.2 is abandoned' }],
    });
    expect(retired).toMatchObject({ code: 'Ecs.0019', scope: 'flavor' });
    expect(retired.message).toMatch(/no availability zone will have it/);
  });
});
