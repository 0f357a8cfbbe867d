import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { AccessRefused } from './access-refused.js';
import type { BuyerAccount } from './account.js';
import { type CloudErrorDetails, CloudPermanent, CloudRetryable } from './errors.js';
import type { AssumedCredentials, IamCalls } from './iam-client.js';

/** Temporary keys for a buyer's account: sign with AK/SK and send the security token. */
export interface BuyerKeys {
  ak: string;
  sk: string;
  securityToken: string;
  expiresAt: Date;
}

/**
 * Temporary credentials and project ids for buyers' accounts (huawei-iam-agency.md §2–3).
 *
 * @example
 *   const keys = await buyers.keys(account); // cached; re-assumed when < 10 min remain
 *   const projectId = await buyers.projectId(account, 'cn-north-4');
 *   // after a 401 "token expires" answer to a call signed with `keys`:
 *   const fresh = await buyers.keys(account, { expired: keys });
 */
export interface BuyerCredentials {
  /**
   * `expired`: keys the cloud refused as expired: re-assumed unless already replaced (calls
   * running side by side all meet the same expiry; one assume serves them).
   */
  keys(account: BuyerAccount, options?: { expired?: BuyerKeys }): Promise<BuyerKeys>;
  projectId(account: BuyerAccount, region: string): Promise<string>;
}

export interface BuyerCredentialsDeps {
  iam: IamCalls;
  clock: Clock;
  logger: Logger;
  /** How the seller's account is named to buyers (the agency must trust it). */
  sellerAccountName?: string;
  /** Asked of assume_role: 900 to 86400 s. Default one hour. */
  durationSeconds?: number;
  /** Re-assume when less than this remains (also in the middle of a long wait). Default 10 min. */
  refreshMarginMs?: number;
  sessionUser?: string;
  /** Each temporary secret obtained (SK, token), so the logger scrubs it wherever it appears. */
  onSecret?: (value: string) => void;
}

interface Entry {
  keys?: BuyerKeys;
  pending?: Promise<BuyerKeys>;
  projects?: Array<{ id: string; name: string }>;
}

/** IAM writes microseconds (`…18.575000Z`); Date wants milliseconds at most. */
function parseIamTime(value: string): Date {
  const at = new Date(value.replace(/(\.\d{3})\d*Z$/, '$1Z'));
  if (Number.isNaN(at.getTime()))
    throw new TypeError(`IAM answered an unreadable expiry: ${value}`);
  return at;
}

export function createBuyerCredentials(deps: BuyerCredentialsDeps): BuyerCredentials {
  const durationSeconds = deps.durationSeconds ?? 3600;
  const marginMs = deps.refreshMarginMs ?? 10 * 60_000;
  const seller = deps.sellerAccountName ?? "the seller's account";
  const logger = deps.logger.child({ component: 'buyer-credentials' });
  const entries = new Map<string, Entry>();
  const entryOf = (a: BuyerAccount) => {
    const key = `${a.domainId}/${a.agencyName}`;
    const entry = entries.get(key) ?? {};
    entries.set(key, entry);
    return entry;
  };

  const assume = async (account: BuyerAccount): Promise<BuyerKeys> => {
    let answer: AssumedCredentials;
    try {
      answer = await deps.iam.assumeRole({
        domainId: account.domainId,
        agencyName: account.agencyName,
        durationSeconds,
        sessionUser: deps.sessionUser ?? 'kgd-deployer',
      });
    } catch (err) {
      const refused = classifyAssumeFailure(err, account, seller);
      logger.warn(
        {
          domainId: account.domainId,
          agency: account.agencyName,
          error: refused.name,
          code: refused.code,
        },
        refused.message,
      );
      throw refused;
    }
    for (const secret of [answer.secret, answer.securitytoken]) deps.onSecret?.(secret);
    const keys = {
      ak: answer.access,
      sk: answer.secret,
      securityToken: answer.securitytoken,
      expiresAt: parseIamTime(answer.expires_at),
    };
    logger.info(
      {
        domainId: account.domainId,
        agency: account.agencyName,
        expiresAt: keys.expiresAt.toISOString(),
      },
      'obtained temporary credentials for a buyer account',
    );
    return keys;
  };

  const provider: BuyerCredentials = {
    keys(account, options = {}) {
      const entry = entryOf(account);
      const fresh =
        entry.keys && entry.keys.expiresAt.getTime() - deps.clock.now().getTime() > marginMs;
      const refused = options.expired !== undefined && options.expired === entry.keys;
      if (fresh && !refused) return Promise.resolve(entry.keys!);
      // One assume at a time per account: concurrent callers share it.
      entry.pending ??= assume(account)
        .then((keys) => {
          entry.keys = keys;
          return keys;
        })
        .finally(() => {
          entry.pending = undefined;
        });
      return entry.pending;
    },

    async projectId(account, region) {
      const entry = entryOf(account);
      const manual = account.projectIds?.[region];
      if (!entry.projects) {
        try {
          entry.projects = await deps.iam.authProjects(await provider.keys(account));
        } catch (err) {
          if (err instanceof AccessRefused || !manual) throw discoveryFailure(err, account, region);
          return manual;
        }
      }
      const found = entry.projects.find((p) => p.name === region);
      if (found) return found.id;
      if (manual) return manual;
      throw new AccessRefused(
        `buyer account ${account.domainId} has no project in ${region}: the buyer must open the region (or give its project id)`,
        {
          code: 'kgd.project-missing',
          operation: 'iam.keystoneListAuthProjects',
          reason: 'project-missing',
          region,
        },
      );
    },
  };
  return provider;
}

interface SdkFailure {
  httpStatusCode?: number;
  errorMsg?: unknown;
  requestId?: string;
}

/**
 * An assume_role failure as the error contract: the buyer's refusals as `AccessRefused` with
 * what to fix, the seller's own (key refused, bad request) as `CloudPermanent`, the rest
 * (throttling, 5xx, no answer) as `CloudRetryable`. Built from the status and IAM's message only:
 * the SDK's exception is not chained, so nothing of the request can reach a log.
 */
function classifyAssumeFailure(
  err: unknown,
  account: BuyerAccount,
  seller: string,
): CloudPermanent | CloudRetryable {
  const f = (typeof err === 'object' && err !== null ? err : {}) as SdkFailure;
  const status = typeof f.httpStatusCode === 'number' ? f.httpStatusCode : undefined;
  const said =
    typeof f.errorMsg === 'string' ? f.errorMsg : err instanceof Error ? err.message : '';
  const base: CloudErrorDetails = {
    code: `IAM.${status ?? 'network'}`,
    operation: 'iam.createTemporaryAccessKeyByAgency',
    ...(status === undefined ? {} : { httpStatus: status }),
    ...(f.requestId ? { requestId: f.requestId } : {}),
  };
  const agency = `agency ${account.agencyName} in buyer account ${account.domainId}`;
  if (status === 404 && /domain/i.test(said))
    return new AccessRefused(`buyer account ${account.domainId} not found (IAM: ${said})`, {
      ...base,
      reason: 'agency-absent',
    });
  if (status === 404)
    return new AccessRefused(
      `${agency} absent: the buyer must create it in IAM > Agencies, trusting ${seller} (IAM: ${said})`,
      { ...base, reason: 'agency-absent' },
    );
  if (status === 403 && /expired/i.test(said))
    return new AccessRefused(
      `${agency} has expired: the buyer must extend its duration (IAM: ${said})`,
      {
        ...base,
        reason: 'agency-expired',
      },
    );
  if (status === 403 && /trust/i.test(said))
    return new AccessRefused(
      `${agency} does not trust ${seller}: the buyer must make it trust that account (IAM: ${said})`,
      {
        ...base,
        reason: 'not-trusted',
      },
    );
  if (status === 403)
    return new AccessRefused(
      `${agency} refused ${seller}: either it does not trust that account, or the seller's key lacks the Agent Operator role (IAM: ${said})`,
      { ...base, reason: 'not-trusted' },
    );
  if (status === 401)
    return new CloudPermanent(
      `IAM refused the seller's own AK/SK (${said}); check KGD_CLOUD_AK / KGD_CLOUD_SK`,
      base,
    );
  if (status !== undefined && status < 500 && status !== 429)
    return new CloudPermanent(
      `IAM refused assume_role for ${agency} (HTTP ${status}: ${said})`,
      base,
    );
  return new CloudRetryable(
    `IAM did not answer assume_role for ${agency} (${status ?? 'no answer'}: ${said}); it will be retried`,
    base,
  );
}

function discoveryFailure(err: unknown, account: BuyerAccount, region: string): Error {
  if (err instanceof AccessRefused || err instanceof CloudRetryable) return err;
  const status = (err as SdkFailure | undefined)?.httpStatusCode;
  if (status === undefined || status >= 500 || status === 429)
    return new CloudRetryable(
      `IAM did not list the projects of buyer account ${account.domainId} (${status ?? 'no answer'}); it will be retried`,
      {
        code: `IAM.${status ?? 'network'}`,
        operation: 'iam.keystoneListAuthProjects',
        ...(status ? { httpStatus: status } : {}),
      },
    );
  return new AccessRefused(
    `the projects of buyer account ${account.domainId} cannot be listed (HTTP ${status ?? 'no answer'}); give the project id of ${region}`,
    {
      code: `IAM.${status ?? 'network'}`,
      operation: 'iam.keystoneListAuthProjects',
      reason: 'project-missing',
      region,
    },
  );
}
