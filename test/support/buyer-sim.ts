import type { BuyerAccount } from '../../src/cloud/account.js';
import {
  type BuyerCredentialsDeps,
  createBuyerCredentials,
} from '../../src/cloud/buyer-credentials.js';
import { type CloudAccounts, createCloudAccounts } from '../../src/cloud/cloud-accounts.js';
import { parseHuaweiCloudSettings } from '../../src/cloud/huawei-settings.js';
import { type AssumedCredentials, fromIamSdk, type IamCalls } from '../../src/cloud/iam-client.js';
import type { Logger } from '../../src/platform/logger.js';
import { createSilentLogger } from '../../src/platform/logger.js';
import { type CloudFixture, startCloudFixture } from './cloud-sim.js';

/**
 * A seller and a buyer on one simulator: the buyer's account (projects in two regions), the
 * seller's IAM client through the official SDK, the credentials provider and the account-aware
 * adapter factory, all on the fixture's manual clock. `issued` records every temporary
 * credential IAM handed out, so tests can look for them where they must not be.
 */
export interface BuyerFixture extends CloudFixture {
  buyer: { domainId: string; name: string; ak: string; sk: string };
  account: BuyerAccount;
  accounts: CloudAccounts;
  issued: AssumedCredentials[];
  /** Another provider + factory (other seller key, other options) on the same simulator. */
  withProvider(over?: Partial<BuyerCredentialsDeps> & { ak?: string; sk?: string }): CloudAccounts;
  /** Acts as the buyer in the IAM console (simulator control API). */
  createAgency(input: {
    name?: string;
    actions?: string[];
    roles?: string[];
    regions?: string[];
    trustDomainName?: string;
  }): Promise<void>;
}

const buyerRegions = ['cn-north-4', 'cn-east-3'];

export async function startBuyerFixture(options: { logger?: Logger } = {}): Promise<BuyerFixture> {
  const logger = options.logger ?? createSilentLogger();
  const f = await startCloudFixture({ logger });
  const buyer = f.sim.accounts.create({ name: 'acme-buyer', regions: buyerRegions });
  const issued: AssumedCredentials[] = [];
  const account: BuyerAccount = {
    kind: 'buyer',
    domainId: buyer.domainId,
    agencyName: 'kgd-deployer',
  };
  const { clock } = f;
  const withProvider: BuyerFixture['withProvider'] = (over = {}) => {
    const sdk = fromIamSdk({
      endpoint: f.sim.endpoint,
      ak: over.ak ?? f.sim.ak,
      sk: over.sk ?? f.sim.sk,
      timeoutMs: 2000,
    });
    const iam: IamCalls = {
      async assumeRole(input) {
        const answer = await sdk.assumeRole(input);
        issued.push(answer);
        return answer;
      },
      authProjects: (keys) => sdk.authProjects(keys),
    };
    const buyers = createBuyerCredentials({
      iam,
      clock,
      logger,
      sellerAccountName: f.sim.domainName,
      ...over,
    });
    return createCloudAccounts({
      settings: parseHuaweiCloudSettings(f.settings),
      logger,
      clock,
      buyers,
      random: () => 0.5,
    });
  };
  return {
    ...f,
    buyer,
    account,
    accounts: withProvider(),
    issued,
    withProvider,
    async createAgency(input) {
      const res = await fetch(`${f.sim.endpoint}/sim/accounts/${buyer.domainId}/agencies`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'kgd-deployer', trustDomainName: f.sim.domainName, ...input }),
      });
      if (res.status !== 201)
        throw new Error(`agency not created: ${res.status} ${await res.text()}`);
    },
  };
}
