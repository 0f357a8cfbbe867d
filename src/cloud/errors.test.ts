import { describe, expect, it } from 'vitest';
import { CloudError, classifyJobFailure, classifySdkFailure, looksLikeCapacity } from './errors.js';

const ctx = { operation: 'ecs.createPostPaidServers', region: 'cn-north-4' };

describe('classifySdkFailure', () => {
  it.each([
    [{ httpStatusCode: 429, errorCode: 'APIGW.0308', errorMsg: 'over ratelimit' }, 'retryable'],
    [{ httpStatusCode: 500, errorCode: 'Ecs.0002', errorMsg: 'system error' }, 'retryable'],
    [{ httpStatusCode: 503, errorMsg: 'unavailable' }, 'retryable'],
    [{ errorMsg: 'connect ECONNREFUSED 127.0.0.1:1' }, 'retryable'],
    [{ errorMsg: 'timeout of 500ms exceeded' }, 'retryable'],
    [{ httpStatusCode: 400, errorCode: 'Ecs.0001', errorMsg: 'quota' }, 'permanent'],
    [{ httpStatusCode: 400, errorCode: 'Ecs.0005', errorMsg: 'bad parameter' }, 'permanent'],
    [{ httpStatusCode: 400, errorCode: 'Ecs.0011', errorMsg: 'password' }, 'permanent'],
    [{ httpStatusCode: 403, errorCode: 'Ecs.0003', errorMsg: 'frozen' }, 'permanent'],
    [{ httpStatusCode: 401, errorCode: 'APIGW.0301', errorMsg: 'signature' }, 'permanent'],
    [{ httpStatusCode: 400, errorCode: 'Ecs.0319', errorMsg: 'capacity' }, 'capacity'],
    [{ httpStatusCode: 404, errorCode: 'Ecs.0114', errorMsg: 'not found' }, 'not-found'],
    [{ httpStatusCode: 409, errorCode: 'VPC.0602', errorMsg: 'in use' }, 'conflict'],
  ])('%o is %s', (failure, kind) => {
    const err = classifySdkFailure(failure, ctx);
    expect(err).toBeInstanceOf(CloudError);
    expect(err.kind).toBe(kind);
    expect(err.operation).toBe(ctx.operation);
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
    expect(throttled.retryAfterMs).toBeGreaterThanOrEqual(2000);
  });

  it('keeps an existing CloudError and chains the SDK exception as cause', () => {
    const original = new CloudError('x', { kind: 'permanent', code: 'c', operation: 'o' });
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
    expect(classifyJobFailure(job('Ecs.0000', 'Flavor s6.small.1 is sold out'), ctx).kind).toBe(
      'capacity',
    );
    expect(classifyJobFailure(job(undefined, 'No valid host was found'), ctx).kind).toBe(
      'capacity',
    );
    expect(classifyJobFailure(job('Ecs.0319', 'x'), ctx).kind).toBe('capacity');
    expect(classifyJobFailure(job(undefined, '规格已售罄'), ctx).kind).toBe('capacity');
    const other = classifyJobFailure(job('Ecs.0005', 'image not found'), ctx);
    expect(other.kind).toBe('permanent');
    expect(other.message).toMatch(/Ecs\.0005: image not found/);
    expect(looksLikeCapacity(undefined, undefined)).toBe(false);
  });
});
