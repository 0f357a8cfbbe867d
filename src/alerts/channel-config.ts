import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import type { Clock } from '../platform/clock.js';
import { type Config, ConfigError } from '../platform/config.js';
import type { SecretScrubber } from '../platform/logger.js';
import type { SecretBox } from '../platform/secrets.js';
import type { AlertChannel } from './channel.js';
import { createEmailChannel } from './channels/email.js';
import type { FetchFn } from './channels/http-post.js';
import {
  createDingtalkChannel,
  createFeishuChannel,
  createWecomChannel,
} from './channels/robots.js';
import { createSmnChannel, type SmnCredentials } from './channels/smn.js';
import { createWebhookChannel } from './channels/webhook.js';
import { type AlertSeverity, severityRank } from './kinds.js';

/** Secrets in the alerts file may be sealed under the master key: `kgd alerts seal` makes them. */
export const channelSecretPurpose = 'alert-channel-secret';

const severity = z.enum(['critical', 'warning', 'info']);
const httpsOrHttp = z.string().regex(/^(https?:\/\/|kgd1\.)/, 'expected an http(s) URL');
const base = {
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'expected a short lower-case name'),
  /** Severities this channel gets; default: KGD_ALERT_MIN_SEVERITY and above. */
  severities: z.array(severity).min(1).optional(),
};

const channelSpec = z.discriminatedUnion('type', [
  z.strictObject({
    ...base,
    type: z.literal('webhook'),
    url: httpsOrHttp,
    secret: z.string().min(1).optional(),
  }),
  z.strictObject({ ...base, type: z.literal('wecom'), url: httpsOrHttp }),
  z.strictObject({
    ...base,
    type: z.literal('dingtalk'),
    url: httpsOrHttp,
    secret: z.string().min(1).optional(),
  }),
  z.strictObject({
    ...base,
    type: z.literal('feishu'),
    url: httpsOrHttp,
    secret: z.string().min(1).optional(),
  }),
  z.strictObject({
    ...base,
    type: z.literal('email'),
    smtp: z.string().regex(/^(smtps?:\/\/|kgd1\.)/, 'expected smtp:// or smtps:// URL'),
    from: z.string().min(3),
    to: z.array(z.string().min(3)).min(1),
    tlsRejectUnauthorized: z.boolean().optional(),
  }),
  z.strictObject({
    ...base,
    type: z.literal('smn'),
    topicUrn: z.string().regex(/^urn:smn:[a-z0-9-]+:[0-9a-f]+:[A-Za-z0-9_-]+$/),
    endpoint: z
      .string()
      .regex(/^https?:\/\//)
      .optional(),
  }),
]);
const alertsFile = z.strictObject({ channels: z.array(channelSpec) });
type ChannelSpec = z.infer<typeof channelSpec>;

export interface ChannelDeps {
  fetch: FetchFn;
  clock: Clock;
  secretBox: SecretBox;
  scrubber: SecretScrubber;
  /** Silences the Huawei SDK's logging before an SMN client is built (cloud/sdk-quiet.ts). */
  quietSdk: () => void;
}

/**
 * The configured channels: those of `KGD_ALERTS_FILE` (YAML or JSON, `channels:` a list) and one
 * per `KGD_ALERT_*` shortcut (named after its type). Secret fields (robot URLs, which carry the
 * access token, signing secrets, the SMTP URL with its password) may be sealed values, opened
 * here; every secret is handed to the log scrubber. A bad entry throws a ConfigError naming it.
 */
export function loadAlertChannels(config: Config, deps: ChannelDeps): AlertChannel[] {
  const specs = [...fromFile(config.alerts.file), ...fromEnv(config)];
  const names = new Set<string>();
  const problems: string[] = [];
  for (const s of specs)
    if (names.has(s.name)) problems.push(`alert channel ${s.name}: the name is used twice`);
    else names.add(s.name);
  if (problems.length > 0) throw new ConfigError(problems);
  const defaults = (['critical', 'warning', 'info'] as const).filter(
    (s) => severityRank[s] >= severityRank[config.alerts.minSeverity],
  );
  return specs.map((spec) => build(open(spec, deps), defaults, deps, config));
}

function fromFile(file: string | undefined): ChannelSpec[] {
  if (!file) return [];
  let parsed: unknown;
  try {
    parsed = YAML.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([`KGD_ALERTS_FILE: cannot read ${file}: ${(err as Error).message}`]);
  }
  const result = alertsFile.safeParse(parsed ?? { channels: [] });
  if (!result.success)
    throw new ConfigError(
      result.error.issues.map(
        (i) => `KGD_ALERTS_FILE (${file}): ${i.path.join('.') || 'file'}: ${i.message}`,
      ),
    );
  return result.data.channels;
}

function fromEnv(config: Config): ChannelSpec[] {
  const a = config.alerts;
  const out: ChannelSpec[] = [];
  if (a.webhook.url)
    out.push({ name: 'webhook', type: 'webhook', ...a.webhook, url: a.webhook.url });
  if (a.wecom.url) out.push({ name: 'wecom', type: 'wecom', url: a.wecom.url });
  if (a.dingtalk.url)
    out.push({ name: 'dingtalk', type: 'dingtalk', ...a.dingtalk, url: a.dingtalk.url });
  if (a.feishu.url) out.push({ name: 'feishu', type: 'feishu', ...a.feishu, url: a.feishu.url });
  if (a.email.smtp && a.email.from && a.email.to)
    out.push({
      name: 'email',
      type: 'email',
      smtp: a.email.smtp,
      from: a.email.from,
      to: a.email.to,
    });
  if (a.smn.topicUrn) out.push({ name: 'smn', type: 'smn', topicUrn: a.smn.topicUrn });
  return out;
}

const secretFields = ['url', 'secret', 'smtp'] as const;

/** Opens sealed secret fields and registers every secret value with the scrubber. */
function open(spec: ChannelSpec, deps: ChannelDeps): ChannelSpec {
  const out = { ...spec } as Record<string, unknown>;
  for (const field of secretFields) {
    const v = out[field];
    if (typeof v !== 'string') continue;
    let plain = v;
    if (v.startsWith('kgd1.')) {
      try {
        plain = deps.secretBox.open(v, channelSecretPurpose);
      } catch (err) {
        throw new ConfigError([`alert channel ${spec.name}: ${field}: ${(err as Error).message}`]);
      }
    }
    deps.scrubber.add(plain);
    // The robots' tokens travel in the URL: scrub them on their own too.
    if (field === 'url') for (const p of new URL(plain).searchParams.values()) deps.scrubber.add(p);
    if (field === 'url' && spec.type === 'feishu') deps.scrubber.add(plain.split('/').pop());
    if (field === 'smtp') deps.scrubber.add(decodeURIComponent(new URL(plain).password));
    out[field] = plain;
  }
  return out as ChannelSpec;
}

function build(
  spec: ChannelSpec,
  defaults: AlertSeverity[],
  deps: ChannelDeps,
  config: Config,
): AlertChannel {
  const severities = spec.severities ?? defaults;
  const common = { fetch: deps.fetch, clock: deps.clock };
  switch (spec.type) {
    case 'webhook':
      return createWebhookChannel({ ...spec, severities }, common);
    case 'wecom':
      return createWecomChannel({ ...spec, severities }, common);
    case 'dingtalk':
      return createDingtalkChannel({ ...spec, severities }, common);
    case 'feishu':
      return createFeishuChannel({ ...spec, severities }, common);
    case 'email':
      return createEmailChannel({ ...spec, severities });
    case 'smn':
      return createSmnChannel({ ...spec, severities }, smnCredentials(spec, config, deps));
  }
}

function smnCredentials(
  spec: Extract<ChannelSpec, { type: 'smn' }>,
  config: Config,
  deps: ChannelDeps,
): SmnCredentials {
  const { ak, sk, projectId } = config.cloud;
  if (!ak || !sk || !projectId)
    throw new ConfigError([
      `alert channel ${spec.name}: SMN uses the cloud account: set KGD_CLOUD_AK, KGD_CLOUD_SK and KGD_CLOUD_PROJECT_ID`,
    ]);
  const region = spec.topicUrn.split(':')[2]!;
  return {
    ak,
    sk,
    projectId,
    endpoint: spec.endpoint ?? config.cloud.endpoint ?? `https://smn.${region}.myhuaweicloud.com`,
    quietSdk: deps.quietSdk,
  };
}
