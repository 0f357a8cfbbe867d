import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core';
import { ClientBuilder } from '@huaweicloud/huaweicloud-sdk-core/ClientBuilder.js';
import type { HcClient } from '@huaweicloud/huaweicloud-sdk-core/HcClient.js';
import { Permanent, Retryable } from '../../platform/errors.js';
import type { AlertChannel } from '../channel.js';
import type { AlertSeverity } from '../kinds.js';
import { noticeLines, noticeSubject } from '../notice.js';
import { truncateBytes } from './http-post.js';

export interface SmnCredentials {
  ak: string;
  sk: string;
  projectId: string;
  /** https://smn.<region>.myhuaweicloud.com, or the simulator. */
  endpoint: string;
  /** Turns off the SDK's own request logging (it prints the Authorization header). */
  quietSdk: () => void;
}

/**
 * Huawei Cloud SMN (Simple Message Notification): publishes the notice to a topic, whose
 * subscriptions (SMS, e-mail, HTTP, FunctionGraph…) the seller manages in the console.
 * `@huaweicloud/huaweicloud-sdk-smn` is not published on the npm registry, so this sends the
 * documented PublishMessage call (POST /v2/{project_id}/notifications/topics/{topic_urn}/publish,
 * body {subject, message}) through the official SDK core's client, which signs it with the
 * account's AK/SK exactly as the generated service clients do.
 */
export function createSmnChannel(
  spec: { name: string; topicUrn: string; severities: AlertSeverity[] },
  credentials: SmnCredentials,
): AlertChannel {
  let client: HcClient | undefined;
  const open = () => {
    if (!client) credentials.quietSdk();
    client ??= new ClientBuilder((c: HcClient) => c)
      .withCredential(
        new BasicCredentials()
          .withAk(credentials.ak)
          .withSk(credentials.sk)
          .withProjectId(credentials.projectId),
      )
      .withEndpoint(credentials.endpoint)
      .withOptions({
        customUserAgent: 'koogallery-deployer',
        axiosRequestConfig: { timeout: 15_000 },
      })
      .build();
    return client;
  };
  return {
    name: spec.name,
    type: 'smn',
    severities: spec.severities,
    async send(notice) {
      try {
        await open().sendRequest({
          method: 'POST',
          url: '/v2/{project_id}/notifications/topics/{topic_urn}/publish',
          contentType: 'application/json;charset=UTF-8',
          queryParams: {},
          pathParams: { topic_urn: spec.topicUrn },
          headers: { 'Content-Type': 'application/json;charset=UTF-8' },
          data: {
            // SMN limits: subject 512 bytes, message 256 KB.
            subject: truncateBytes(noticeSubject(notice), 512),
            message: truncateBytes(noticeLines(notice).join('\n'), 256 * 1024),
          },
        });
      } catch (cause) {
        throw classify(spec.name, cause);
      }
    },
  };
}

function classify(channel: string, cause: unknown): Error {
  const e = cause as {
    httpStatusCode?: number;
    errorCode?: string;
    errorMsg?: string;
    message?: string;
  };
  const status = e.httpStatusCode;
  const message =
    `channel ${channel}: SMN ${status ?? 'unreachable'} ${e.errorCode ?? ''} ${e.errorMsg ?? e.message ?? ''}`.trim();
  if (status === undefined || status === 429 || status >= 500)
    return new Retryable(message, { cause, code: e.errorCode });
  return new Permanent(message, { cause, code: e.errorCode });
}
