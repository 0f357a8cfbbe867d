import { GlobalCredentials } from '@huaweicloud/huaweicloud-sdk-core';
// The package root does not load (a broken line in v5/public-api.js, huawei-iam-agency.md §4):
// v3 is imported directly.
import { IamClient } from '@huaweicloud/huaweicloud-sdk-iam/v3/public-api.js';
import { silenceSdkLogging } from './sdk-quiet.js';

/** What the seller's IAM client needs: the endpoint (global IAM or the simulator) and its key. */
export interface IamSettings {
  /** `https://iam.myhuaweicloud.com` for the real cloud. */
  endpoint: string;
  ak: string;
  sk: string;
  timeoutMs: number;
}

/** The seller's temporary credentials for a buyer's agency, as IAM answers them. */
export interface AssumedCredentials {
  access: string;
  secret: string;
  securitytoken: string;
  /** `2017-04-17T07:55:18.575000Z`: microseconds. */
  expires_at: string;
}

/** The two IAM calls the credentials provider makes, over the official SDK or a test double. */
export interface IamCalls {
  assumeRole(input: {
    domainId: string;
    agencyName: string;
    durationSeconds: number;
    sessionUser: string;
  }): Promise<AssumedCredentials>;
  /** `GET /v3/auth/projects` signed with the temporary credentials: the buyer's projects. */
  authProjects(keys: {
    ak: string;
    sk: string;
    securityToken: string;
  }): Promise<Array<{ id: string; name: string }>>;
}

const userAgent = 'koogallery-deployer';

/**
 * IAM v3 through `@huaweicloud/huaweicloud-sdk-iam`, with its traps handled (§4): the endpoint
 * always given (no domain lookup), a timeout and user agent, and the SDK's logging silenced,
 * since on any HTTP error it prints the whole request, `X-Security-Token` included.
 */
export function fromIamSdk(settings: IamSettings): IamCalls {
  silenceSdkLogging();
  const options = {
    customUserAgent: userAgent,
    axiosRequestConfig: { timeout: settings.timeoutMs },
  };
  const build = (credential: GlobalCredentials) =>
    IamClient.newBuilder()
      .withCredential(credential)
      .withOptions(options)
      .withEndpoint(settings.endpoint)
      .build();
  const seller = build(new GlobalCredentials().withAk(settings.ak).withSk(settings.sk));
  return {
    async assumeRole(input) {
      const answer = (await seller.createTemporaryAccessKeyByAgency({
        body: {
          auth: {
            identity: {
              methods: ['assume_role'],
              assume_role: {
                agency_name: input.agencyName,
                domain_id: input.domainId,
                duration_seconds: input.durationSeconds,
                session_user: { name: input.sessionUser },
              },
            },
          },
        },
      } as never)) as unknown as { credential?: AssumedCredentials };
      if (!answer.credential) throw new TypeError('IAM answered assume_role without credentials');
      return answer.credential;
    },
    async authProjects(keys) {
      const client = build(
        new GlobalCredentials()
          .withAk(keys.ak)
          .withSk(keys.sk)
          .withSecurityToken(keys.securityToken) as GlobalCredentials,
      );
      const answer = (await client.keystoneListAuthProjects({} as never)) as unknown as {
        projects?: Array<{ id: string; name: string }>;
      };
      return answer.projects ?? [];
    },
  };
}
