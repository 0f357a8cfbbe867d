import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../test/support/fakes/manual-clock.js';
import { createSilentLogger } from '../platform/logger.js';
import { AccessRefused } from './access-refused.js';
import type { BuyerAccount } from './account.js';
import { createBuyerCredentials } from './buyer-credentials.js';
import { CloudRetryable } from './errors.js';
import type { IamCalls } from './iam-client.js';

/** The provider's own rules, on a scripted IAM and a manual clock (the wire is in buyer-account.test.ts). */
const account: BuyerAccount = {
  kind: 'buyer',
  domainId: 'd'.repeat(32),
  agencyName: 'kgd-deployer',
};

function setup(iam: Partial<IamCalls> = {}) {
  const clock = createManualClock({ start: new Date('2026-05-01T00:00:00Z') });
  let assumed = 0;
  const calls: IamCalls = {
    async assumeRole(input) {
      assumed++;
      const expires = new Date(clock.now().getTime() + input.durationSeconds * 1000);
      return {
        access: `AK${assumed}`,
        secret: `secret-${assumed}`,
        securitytoken: `token-${assumed}`,
        expires_at: expires.toISOString().replace(/Z$/, '000Z'),
      };
    },
    authProjects: async () => [{ id: 'p'.repeat(32), name: 'cn-north-4' }],
    ...iam,
  };
  const secrets: string[] = [];
  const provider = createBuyerCredentials({
    iam: calls,
    clock,
    logger: createSilentLogger(),
    onSecret: (s) => secrets.push(s),
  });
  return { clock, provider, secrets, assumed: () => assumed };
}

describe('buyer credentials', () => {
  it('caches keys, shares one assume between concurrent callers, refreshes 10 min before expiry', async () => {
    const s = setup();
    const [a, b] = await Promise.all([s.provider.keys(account), s.provider.keys(account)]);
    expect(a).toBe(b);
    expect(s.assumed()).toBe(1);
    expect(a.expiresAt.toISOString()).toBe('2026-05-01T01:00:00.000Z');
    expect(s.secrets).toEqual(['secret-1', 'token-1']);
    s.clock.advance(49 * 60_000);
    expect(await s.provider.keys(account)).toBe(a);
    s.clock.advance(2 * 60_000);
    expect((await s.provider.keys(account)).ak).toBe('AK2');
    // Keys already replaced are not re-assumed when an older call reports them expired.
    expect((await s.provider.keys(account, { expired: a })).ak).toBe('AK2');
    expect(s.assumed()).toBe(2);
  });

  it('discovers project ids, falls back to the ones given, and says when a region has none', async () => {
    const s = setup();
    expect(await s.provider.projectId(account, 'cn-north-4')).toBe('p'.repeat(32));
    const missing = await s.provider.projectId(account, 'cn-east-3').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(AccessRefused);
    expect(missing).toMatchObject({ reason: 'project-missing', region: 'cn-east-3' });

    const refused = setup({
      authProjects: async () => {
        throw Object.assign(new Error('forbidden'), { httpStatusCode: 403 });
      },
    });
    const given = { ...account, projectIds: { 'cn-east-3': 'e'.repeat(32) } };
    expect(await refused.provider.projectId(given, 'cn-east-3')).toBe('e'.repeat(32));
  });

  it('classifies IAM failures: retryable without an answer, the buyer refusals as AccessRefused', async () => {
    const fail = (status: number | undefined, message: string) =>
      setup({
        assumeRole: async () => {
          throw Object.assign(new Error(message), { httpStatusCode: status, errorMsg: message });
        },
      })
        .provider.keys(account)
        .catch((e: unknown) => e);
    expect(await fail(undefined, 'ECONNRESET')).toBeInstanceOf(CloudRetryable);
    expect(await fail(503, 'busy')).toBeInstanceOf(CloudRetryable);
    expect(await fail(404, 'Could not find agency: kgd-deployer')).toMatchObject({
      reason: 'agency-absent',
    });
    expect(await fail(403, 'The agency kgd-deployer has expired.')).toMatchObject({
      reason: 'agency-expired',
    });
    const other = await fail(403, 'You are not authorized to perform the requested action.');
    expect(other).toMatchObject({ reason: 'not-trusted' });
    expect((other as Error).message).toMatch(
      /either it does not trust that account, or the seller's key lacks the Agent Operator role/,
    );
    expect((other as Error).cause).toBeUndefined();
  });
});
