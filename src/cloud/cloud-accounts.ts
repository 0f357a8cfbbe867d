import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { Account, BuyerAccount } from './account.js';
import type { BuyerCredentials, BuyerKeys } from './buyer-credentials.js';
import type { CloudApi } from './cloud-api.js';
import { fromHuaweiSdk } from './huawei-adapter.js';
import type { SigningKeys } from './huawei-clients.js';
import type { HuaweiCloudSettings } from './huawei-settings.js';

type AccountCloud = CloudApi & { securityGroupApi(): 'v3' | 'v2' };

/**
 * The cloud adapter for an account and a region (issue 14).
 *
 * @example
 *   const cloud = accounts.cloudFor({ kind: 'buyer', domainId, agencyName: 'kgd-deployer' }, 'cn-north-4');
 *   await cloud.ensureVpc({ name, cidr, tags }); // in the buyer's account, with temporary keys
 */
export interface CloudAccounts {
  /** One adapter per (account, region), kept: it caches its keys and SDK clients. */
  cloudFor(account: Account, region?: string): AccountCloud;
}

export interface CloudAccountsDeps {
  /** The seller's settings: its key, region and project; endpoints and policies for every account. */
  settings: HuaweiCloudSettings;
  logger: Logger;
  clock: Clock;
  /** Needed for buyer accounts. */
  buyers?: BuyerCredentials;
  random?: () => number;
}

/**
 * Builds adapters signing with the seller's AK/SK (its own account, the configured region) or
 * with a buyer's temporary keys and project id, renewed before they expire.
 * A buyer's account never inherits the seller's shared network or enterprise project.
 */
export function createCloudAccounts(deps: CloudAccountsDeps): CloudAccounts {
  const cache = new Map<string, AccountCloud>();
  const common = {
    logger: deps.logger,
    clock: deps.clock,
    ...(deps.random ? { random: deps.random } : {}),
  };

  const buyerCloud = (account: BuyerAccount, region: string): AccountCloud => {
    const buyers = deps.buyers;
    if (!buyers)
      throw new TypeError(
        'buyer accounts need the IAM credentials provider (createBuyerCredentials)',
      );
    const { sharedNetwork: _shared, enterpriseProjectId: _ep, ...rest } = deps.settings;
    let last: { keys: BuyerKeys; signing: SigningKeys } | undefined;
    const signing = async (keys: BuyerKeys): Promise<SigningKeys> => {
      if (last?.keys === keys) return last.signing;
      const projectId = await buyers.projectId(account, region);
      last = {
        keys,
        signing: { ak: keys.ak, sk: keys.sk, securityToken: keys.securityToken, projectId },
      };
      return last.signing;
    };
    return fromHuaweiSdk({
      ...common,
      settings: { ...rest, region },
      keys: {
        current: async () => signing(await buyers.keys(account)),
        renew: async (refused) =>
          signing(
            await buyers.keys(account, last?.signing === refused ? { expired: last.keys } : {}),
          ),
      },
    });
  };

  return {
    cloudFor(account, region = deps.settings.region) {
      const key =
        account.kind === 'seller'
          ? `seller/${region}`
          : `buyer/${account.domainId}/${account.agencyName}/${region}`;
      let cloud = cache.get(key);
      if (cloud) return cloud;
      if (account.kind === 'seller') {
        if (region !== deps.settings.region)
          throw new TypeError(
            `the seller's account is configured for ${deps.settings.region} only (its project id), not ${region}`,
          );
        cloud = fromHuaweiSdk({ ...common, settings: deps.settings });
      } else {
        cloud = buyerCloud(account, region);
      }
      cache.set(key, cloud);
      return cloud;
    },
  };
}
