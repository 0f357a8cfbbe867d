import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core';
import { EcsClient } from '@huaweicloud/huaweicloud-sdk-ecs';
import { v2, v3 } from '@huaweicloud/huaweicloud-sdk-vpc';
import type { HuaweiCloudSettings } from './huawei-settings.js';
import { regionEndpoints } from './regions.js';
import { silenceSdkLogging } from './sdk-quiet.js';

export interface HuaweiClients {
  ecs: EcsClient;
  vpc2: v2.VpcClient;
  vpc3: v3.VpcClient;
  /**
   * Signs every later call with other keys (a buyer's temporary ones, renewed): the SDK reads its
   * credentials at each call, so the clients are updated in place, never rebuilt mid-wait.
   */
  rekey?(keys: SigningKeys): void;
}

/** The key a call is signed with, the security token of temporary credentials, and the project. */
export interface SigningKeys {
  ak: string;
  sk: string;
  securityToken?: string;
  projectId: string;
}

/** Sent instead of the SDK's default, which writes ~/.huaweicloud/application_id (§0.4). */
const userAgent = 'koogallery-deployer';

/**
 * Builds the three SDK clients for one region with every trap handled: the project id always in
 * the credentials (no IAM lookup), a custom user agent, a request timeout, SDK logging silenced.
 */
export function createHuaweiClients(settings: HuaweiCloudSettings): HuaweiClients {
  silenceSdkLogging();
  const all: BasicCredentials[] = [];
  const credentials = () => {
    const c = new BasicCredentials()
      .withAk(settings.ak)
      .withSk(settings.sk)
      .withProjectId(settings.projectId);
    all.push(c);
    return c;
  };
  const options = {
    customUserAgent: userAgent,
    axiosRequestConfig: { timeout: settings.timeoutMs },
  };
  // The region table's endpoints (regions.ts), so a region the SDK's own maps lack is served too.
  const endpoints = settings.endpoint
    ? { ecs: settings.endpoint, vpc: settings.endpoint }
    : regionEndpoints(settings.region);
  const ecs = EcsClient.newBuilder()
    .withCredential(credentials())
    .withOptions(options)
    .withEndpoint(endpoints.ecs)
    .build();
  const vpc2 = v2.VpcClient.newBuilder()
    .withCredential(credentials())
    .withOptions(options)
    .withEndpoint(endpoints.vpc)
    .build();
  const vpc3 = v3.VpcClient.newBuilder()
    .withCredential(credentials())
    .withOptions(options)
    .withEndpoint(endpoints.vpc)
    .build();
  for (const client of [ecs, vpc2, vpc3]) keepErrorCodes(client);
  return {
    ecs,
    vpc2,
    vpc3,
    rekey(keys) {
      for (const c of all) {
        c.withAk(keys.ak).withSk(keys.sk).withProjectId(keys.projectId);
        // An empty token is not sent: the seller's own keys have none.
        c.withSecurityToken(keys.securityToken ?? '');
      }
    },
  };
}

interface AxiosLike {
  interceptors: { response: { use(ok: undefined, fail: (e: unknown) => unknown): unknown } };
}

/**
 * VPC v1 and the v2.0 tag APIs answer errors as `{code, message}`, a shape the SDK's exception
 * parser ignores (it reads `error.code` or `error_code`), so the code (VPC.0114 quota, VPC.0003
 * not found...) would be lost and only "Request failed with status code 409" remain. This
 * rewrites such bodies to `{error_code, error_msg}` before the SDK parses them. It reaches into
 * the SDK's axios instance; if a future SDK moves it, errors merely lose their codes again.
 */
function keepErrorCodes(client: unknown): void {
  const axios = (client as { hcClient?: { httpClient?: { _axiosInstance?: AxiosLike } } }).hcClient
    ?.httpClient?._axiosInstance;
  axios?.interceptors?.response?.use(undefined, (error: unknown) => {
    const response = (error as { response?: { data?: unknown } }).response;
    const data = response?.data as Record<string, unknown> | undefined;
    if (
      data &&
      typeof data === 'object' &&
      typeof data.code === 'string' &&
      data.error_code === undefined &&
      data.error === undefined
    ) {
      response!.data = { ...data, error_code: data.code, error_msg: data.message };
    }
    return Promise.reject(error);
  });
}
