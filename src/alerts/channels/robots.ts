import { createHmac } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import { Permanent, Retryable } from '../../platform/errors.js';
import type { AlertChannel } from '../channel.js';
import type { AlertSeverity } from '../kinds.js';
import { noticeLines, noticeMarkdown, noticeSubject } from '../notice.js';
import { type FetchFn, postJson, truncateBytes } from './http-post.js';

/**
 * The group robots Chinese teams use. Each answers HTTP 200 with its own error code in the body,
 * so a refused message is only seen there: throttling (each allows about 20 messages a minute per
 * robot) is retried, anything else (a wrong key or signature, a keyword filter) is permanent.
 */
interface RobotSpec {
  name: string;
  url: string;
  secret?: string | undefined;
  severities: AlertSeverity[];
}
interface RobotDeps {
  fetch: FetchFn;
  clock: Clock;
}

function checkAnswer(
  channel: string,
  answer: unknown,
  codeField: 'errcode' | 'code',
  throttled: number[],
) {
  const a = (answer ?? {}) as Record<string, unknown>;
  // Feishu's older robots answer {"StatusCode":0,"StatusMessage":"success"}.
  const code = Number(a[codeField] ?? a.StatusCode ?? Number.NaN);
  if (code === 0) return;
  const message = String(a.errmsg ?? a.msg ?? a.StatusMessage ?? JSON.stringify(answer));
  const text = `channel ${channel}: the robot refused the message (code ${code}: ${message})`;
  if (throttled.includes(code))
    throw new Retryable(text, { code: String(code), retryAfterMs: 60_000 });
  throw new Permanent(text, { code: String(code) });
}

/**
 * WeCom (企业微信) group robot: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`. No
 * signature: the key in the URL is the secret. Markdown content of at most 4096 bytes;
 * errcode 45009 is the rate limit.
 */
export function createWecomChannel(spec: RobotSpec, deps: RobotDeps): AlertChannel {
  return {
    name: spec.name,
    type: 'wecom',
    severities: spec.severities,
    async send(notice, signal) {
      const body = JSON.stringify({
        msgtype: 'markdown',
        markdown: { content: truncateBytes(noticeMarkdown(notice), 4096) },
      });
      const answer = await postJson(deps.fetch, spec.name, spec.url, body, { signal });
      checkAnswer(spec.name, answer, 'errcode', [45009]);
    },
  };
}

/**
 * DingTalk (钉钉) custom robot with the 加签 security setting: the URL gets `timestamp` (ms) and
 * `sign` = urlencode(base64(HMAC-SHA256(secret, timestamp + "\n" + secret))); DingTalk refuses a
 * timestamp more than an hour off. errcode 130101 is "sending too fast".
 */
export function createDingtalkChannel(spec: RobotSpec, deps: RobotDeps): AlertChannel {
  return {
    name: spec.name,
    type: 'dingtalk',
    severities: spec.severities,
    async send(notice, signal) {
      const url = new URL(spec.url);
      if (spec.secret) {
        const timestamp = String(deps.clock.now().getTime());
        url.searchParams.set('timestamp', timestamp);
        url.searchParams.set('sign', dingtalkSign(spec.secret, timestamp));
      }
      const body = JSON.stringify({
        msgtype: 'markdown',
        markdown: {
          title: truncateBytes(noticeSubject(notice), 128),
          text: truncateBytes(noticeMarkdown(notice).replaceAll('\n', '\n\n'), 18_000),
        },
      });
      const answer = await postJson(deps.fetch, spec.name, url.toString(), body, { signal });
      checkAnswer(spec.name, answer, 'errcode', [130101]);
    },
  };
}

function dingtalkSign(secret: string, timestamp: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');
}

/**
 * Feishu / Lark custom bot (`…/open-apis/bot/v2/hook/<token>`) with signature verification:
 * the body carries `timestamp` (seconds) and `sign` = base64(HMAC-SHA256 keyed with
 * timestamp + "\n" + secret over an empty message), as Feishu documents it. code 11232 is the
 * frequency limit.
 */
export function createFeishuChannel(spec: RobotSpec, deps: RobotDeps): AlertChannel {
  return {
    name: spec.name,
    type: 'feishu',
    severities: spec.severities,
    async send(notice, signal) {
      const [title, ...lines] = noticeLines(notice);
      const message: Record<string, unknown> = {
        msg_type: 'post',
        content: {
          post: {
            zh_cn: {
              title,
              content: lines.map((text) => [{ tag: 'text', text: truncateBytes(text, 2000) }]),
            },
          },
        },
      };
      if (spec.secret) {
        const timestamp = String(Math.floor(deps.clock.now().getTime() / 1000));
        Object.assign(message, { timestamp, sign: feishuSign(spec.secret, timestamp) });
      }
      const answer = await postJson(deps.fetch, spec.name, spec.url, JSON.stringify(message), {
        signal,
      });
      checkAnswer(spec.name, answer, 'code', [11232]);
    },
  };
}

function feishuSign(secret: string, timestamp: string): string {
  return createHmac('sha256', `${timestamp}\n${secret}`).update('').digest('base64');
}
