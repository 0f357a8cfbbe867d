import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { badCidr } from './address-guard.js';
import { bundledTemplatesDir } from './package-info.js';

/**
 * Every setting of the service, read once at start from environment variables and, optionally,
 * from a YAML/JSON file named by `KGD_CONFIG_FILE` (same variable names as keys; the environment
 * wins). Defaults live here and nowhere else.
 *
 * @example
 *   const config = loadConfig(process.env); // throws ConfigError naming each bad variable
 */
const port = z.coerce
  .number({ error: 'expected a TCP port number' })
  .int('expected a whole number')
  .min(0, 'expected a port between 1 and 65535 (0: any free port)')
  .max(65535, 'expected a port between 1 and 65535');

const positiveInt = (what: string) =>
  z.coerce
    .number({ error: `expected ${what}` })
    .int(`expected ${what}`)
    .positive(`expected ${what}`);

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const csv = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  )
  .pipe(z.array(z.string()));

const httpUrl = z
  .url({
    protocol: /^https?$/,
    error: 'expected an http(s) URL such as https://deploy.example.com',
  })
  .transform((v) => v.replace(/\/+$/, ''));

const masterKey = z
  .string()
  .transform((v, ctx) => {
    const raw = /^[0-9a-fA-F]{64}$/.test(v) ? Buffer.from(v, 'hex') : Buffer.from(v, 'base64');
    if (raw.length !== 32) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected 32 random bytes, as 64 hex digits or base64 (openssl rand -base64 32)',
      });
      return z.NEVER;
    }
    return raw;
  })
  .optional();

/**
 * The products folder: as set, else `./templates` where it exists (a clone, or a seller's own
 * folder beside the service), else the samples shipped in the package, so `kgd demo` works from a
 * global install. `kgd config check` says which one is in use.
 */
export function templatesDir(set: string | undefined): string {
  if (set) return path.resolve(set);
  const local = path.resolve('templates');
  return existsSync(local) ? local : bundledTemplatesDir;
}

const marketplaceSites = {
  cn: 'https://mkt.myhuaweicloud.com',
  intl: 'https://mkt-intl.myhuaweicloud.com',
  eu: 'https://mkt.myhuaweicloud.eu',
} as const;

const schema = z
  .object({
    KGD_PORT: port.default(8080),
    KGD_HOST: z.string().min(1).default('0.0.0.0'),
    KGD_PUBLIC_URL: httpUrl.optional(),
    KGD_TLS_CERT: z.string().min(1).optional(),
    KGD_TLS_KEY: z.string().min(1).optional(),
    KGD_DATA_DIR: z.string().min(1).default('./.kgd'),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// connection URL')
      .optional(),
    KGD_DB_POOL_SIZE: positiveInt('a pool size such as 10').default(10),
    KGD_MARKETPLACE_KEYS: csv.optional(),
    KGD_MASTER_KEY: masterKey,
    /** During a master key rotation: the keys secrets may still be sealed with (comma-separated). */
    KGD_MASTER_KEY_PREVIOUS: z
      .string()
      .transform((v, ctx) => {
        const keys: Buffer[] = [];
        for (const part of v
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean)) {
          const parsed = masterKey.safeParse(part);
          if (!parsed.success || !parsed.data) {
            ctx.addIssue({
              code: 'custom',
              message: 'expected comma-separated keys of 32 random bytes (64 hex digits or base64)',
            });
            return z.NEVER;
          }
          keys.push(parsed.data);
        }
        return keys;
      })
      .optional(),
    KGD_PRODUCE_PATH: z
      .string()
      .regex(/^\/[A-Za-z0-9/_.-]*$/, 'expected a URL path starting with /')
      .default('/koogallery/produce'),
    KGD_LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    KGD_V1_MAX_SKEW_SECONDS: positiveInt('a number of seconds').default(300),
    KGD_V2_MAX_SKEW_SECONDS: positiveInt('a number of seconds').default(60),
    KGD_ENCRYPT_TYPE: z
      .enum(['1', '2'], { error: 'expected 1 (AES-256) or 2 (AES-128)' })
      .default('1'),
    KGD_ANSWER_DEADLINE_MS: positiveInt('milliseconds below 5000')
      .max(4900, 'expected milliseconds below 5000 (the marketplace deadline)')
      .default(4000),
    KGD_MAX_BODY_BYTES: positiveInt('a size in bytes').default(65536),
    KGD_SHUTDOWN_GRACE_MS: positiveInt('milliseconds').default(10000),
    KGD_ADMIN_HOST: z.string().min(1).default('127.0.0.1'),
    KGD_ADMIN_PORT: port.optional(),
    KGD_ADMIN_MAX_BODY_BYTES: positiveInt('a size in bytes').default(1024 * 1024),
    KGD_METRICS_PUBLIC: bool.default(false),
    KGD_RATE_LOGIN_PER_MINUTE: positiveInt('requests per minute').default(10),
    KGD_RATE_STATUS_PER_MINUTE: positiveInt('requests per minute').default(120),
    KGD_RATE_METRICS_PER_MINUTE: positiveInt('requests per minute').default(60),
    KGD_HTTP_HEADERS_TIMEOUT_MS: positiveInt('milliseconds').min(500).default(10000),
    KGD_HTTP_REQUEST_TIMEOUT_MS: positiveInt('milliseconds').min(500).default(30000),
    KGD_HTTP_KEEPALIVE_TIMEOUT_MS: positiveInt('milliseconds').default(5000),
    KGD_HTTP_MAX_CONNECTIONS: positiveInt('a number of connections').optional(),
    KGD_HTTP_MAX_CONNECTIONS_PER_ADDRESS: z.coerce
      .number({ error: 'expected a number of connections (0: no limit)' })
      .int('expected a whole number')
      .min(0, 'expected a number of connections (0: no limit)')
      .default(64),
    KGD_SESSION_IDLE_MINUTES: positiveInt('minutes').default(30),
    KGD_SESSION_MAX_HOURS: positiveInt('hours').default(12),
    KGD_MARKETPLACE_API_SITE: z
      .enum(['cn', 'intl', 'eu'], { error: 'expected cn, intl or eu' })
      .default('cn'),
    KGD_MARKETPLACE_API_URL: httpUrl.optional(),
    KGD_MARKETPLACE_API_FALLBACK_URL: httpUrl.optional(),
    KGD_ORDER_API_TIMEOUT_MS: positiveInt('milliseconds').default(10000),
    KGD_CLOUD_AK: z.string().min(1).optional(),
    KGD_CLOUD_SK: z.string().min(1).optional(),
    KGD_CLOUD_PROJECT_ID: z.string().min(1).optional(),
    KGD_CLOUD_REGION: z.string().min(1).default('cn-north-4'),
    KGD_CLOUD_ENDPOINT: httpUrl.optional(),
    KGD_CLOUD_ENTERPRISE_PROJECT_ID: z.string().min(1).optional(),
    KGD_CLOUD_IMAGE_IDS: z
      .string()
      .regex(
        /^[a-z0-9-]+=[^,=\s]+(,[a-z0-9-]+=[^,=\s]+)*$/,
        'expected region=imageId pairs, comma-separated',
      )
      .optional(),
    KGD_CLOUD_SHARED_VPC_ID: z.string().min(1).optional(),
    KGD_CLOUD_SHARED_SUBNET_ID: z.string().min(1).optional(),
    KGD_CLOUD_TIMEOUT_MS: positiveInt('milliseconds').default(30000),
    KGD_CLOUD_CREATE_RATE_PER_MINUTE: positiveInt('server creations per minute').default(100),
    KGD_CLOUD_POLL_RATE_PER_SECOND: positiveInt('status polls per second').default(40),

    KGD_POLL_INTERVAL_MS: positiveInt('milliseconds').optional(),

    KGD_TEMPLATES_DIR: z.string().min(1).optional(),
    KGD_BUYER_TARGET_DENY: z
      .string()
      .refine(
        (v) => v.split(',').every((c) => !badCidr(c.trim())),
        'expected CIDRs, comma-separated (e.g. 10.0.0.0/8,192.168.0.0/16)',
      )
      .optional(),

    KGD_ENGINE_CONCURRENCY: positiveInt('a number of operations').default(20),
    KGD_DEPLOY_ALERT_MINUTES: positiveInt('minutes').default(60),
    KGD_DEPLOY_TEST_ORDERS: bool.default(false),
    KGD_ALERTS_FILE: z.string().min(1).optional(),
    KGD_ALERT_WEBHOOK_URL: z.string().min(1).optional(),
    KGD_ALERT_WEBHOOK_SECRET: z.string().min(1).optional(),
    KGD_ALERT_WECOM_URL: z.string().min(1).optional(),
    KGD_ALERT_DINGTALK_URL: z.string().min(1).optional(),
    KGD_ALERT_DINGTALK_SECRET: z.string().min(1).optional(),
    KGD_ALERT_FEISHU_URL: z.string().min(1).optional(),
    KGD_ALERT_FEISHU_SECRET: z.string().min(1).optional(),
    KGD_ALERT_SMTP_URL: z.string().min(1).optional(),
    KGD_ALERT_EMAIL_FROM: z.string().min(3).optional(),
    KGD_ALERT_EMAIL_TO: csv.optional(),
    KGD_ALERT_SMN_TOPIC_URN: z
      .string()
      .regex(
        /^urn:smn:[a-z0-9-]+:[0-9a-f]+:[A-Za-z0-9_-]+$/,
        'expected urn:smn:<region>:<project id>:<topic name>',
      )
      .optional(),
    KGD_ALERT_MIN_SEVERITY: z
      .enum(['critical', 'warning', 'info'], { error: 'expected critical, warning or info' })
      .default('warning'),
    KGD_ALERT_RESOLVE_AFTER_MINUTES: positiveInt('minutes').default(10),
    KGD_ALERT_CERT_DAYS: positiveInt('days').default(21),
    /** The cloud-quota-nearly-exhausted alert: ECS instances, cores or RAM used at or above this. */
    KGD_ALERT_QUOTA_PERCENT: positiveInt('a percentage between 1 and 100')
      .max(100, 'expected a percentage between 1 and 100')
      .default(80),
    KGD_MARKETPLACE_KEY_ROTATE_BY: z.iso
      .date({ error: 'expected a date such as 2027-03-31' })
      .optional(),
    KGD_REPLICA_TIMEOUT_SECONDS: positiveInt('seconds')
      .min(3, 'expected at least 3 seconds')
      .default(30),
    KGD_SIM_PORT: port.default(8090),
    KGD_SIM_SSH_PORT: port.optional(),
    KGD_SIM_TIME_SCALE: z.coerce
      .number({ error: 'expected a factor such as 1 (realistic) or 0.1 (ten times faster)' })
      .positive('expected a factor above 0')
      .max(10)
      .default(1),
    KGD_EXECUTOR_ID: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected up to 64 letters, digits, _ . -')
      .optional(),
    KGD_APP_VERSION: z.string().min(1).optional(),
    // OpenTelemetry's own variables: tracing is on when an OTLP endpoint is set (off by default).
    OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z
      .url({
        protocol: /^https?$/,
        error: 'expected an http(s) URL such as http://collector:4318/v1/traces',
      })
      .optional(),
    OTEL_SDK_DISABLED: bool.optional(),
    OTEL_TRACES_EXPORTER: z.string().optional(),
    OTEL_SERVICE_NAME: z.string().min(1).default('koogallery-deployer'),
  })
  .superRefine((c, ctx) => {
    if ((c.KGD_CLOUD_AK === undefined) !== (c.KGD_CLOUD_SK === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [c.KGD_CLOUD_AK === undefined ? 'KGD_CLOUD_AK' : 'KGD_CLOUD_SK'],
        message: 'set both KGD_CLOUD_AK and KGD_CLOUD_SK, or neither (then the simulator is used)',
      });
    }
    if ((c.KGD_TLS_CERT === undefined) !== (c.KGD_TLS_KEY === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [c.KGD_TLS_CERT === undefined ? 'KGD_TLS_CERT' : 'KGD_TLS_KEY'],
        message:
          'set both KGD_TLS_CERT and KGD_TLS_KEY (PEM files: the certificate chain and its private key), or neither',
      });
    }
    if (
      (c.KGD_CLOUD_SHARED_VPC_ID === undefined) !==
      (c.KGD_CLOUD_SHARED_SUBNET_ID === undefined)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['KGD_CLOUD_SHARED_SUBNET_ID'],
        message: 'set both KGD_CLOUD_SHARED_VPC_ID and KGD_CLOUD_SHARED_SUBNET_ID, or neither',
      });
    }
    if (c.KGD_HTTP_REQUEST_TIMEOUT_MS < c.KGD_HTTP_HEADERS_TIMEOUT_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['KGD_HTTP_REQUEST_TIMEOUT_MS'],
        message: 'expected at least KGD_HTTP_HEADERS_TIMEOUT_MS (a request includes its headers)',
      });
    }
    if (c.KGD_ALERT_SMTP_URL && (!c.KGD_ALERT_EMAIL_FROM || !c.KGD_ALERT_EMAIL_TO?.length)) {
      ctx.addIssue({
        code: 'custom',
        path: [c.KGD_ALERT_EMAIL_FROM ? 'KGD_ALERT_EMAIL_TO' : 'KGD_ALERT_EMAIL_FROM'],
        message:
          'e-mail alerts need KGD_ALERT_SMTP_URL, KGD_ALERT_EMAIL_FROM and KGD_ALERT_EMAIL_TO',
      });
    }
    if (c.DATABASE_URL && !c.KGD_MASTER_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['KGD_MASTER_KEY'],
        message:
          'required when DATABASE_URL is set: every replica must share the key that encrypts secrets at rest',
      });
    }
    if (c.DATABASE_URL && (!c.KGD_MARKETPLACE_KEYS || c.KGD_MARKETPLACE_KEYS.length === 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['KGD_MARKETPLACE_KEYS'],
        message:
          'required when DATABASE_URL is set: the Key / accessKey from the KooGallery seller console',
      });
    }
  });

/** The configuration the service runs with: the variables above, parsed and shaped once. */
const configSchema = schema.transform((c) => ({
  port: c.KGD_PORT,
  host: c.KGD_HOST,
  publicUrl: c.KGD_PUBLIC_URL ?? `${c.KGD_TLS_CERT ? 'https' : 'http'}://127.0.0.1:${c.KGD_PORT}`,
  /** Serve HTTPS directly (no load balancer in front): PEM files, re-read on SIGHUP. */
  tls:
    c.KGD_TLS_CERT && c.KGD_TLS_KEY
      ? { certFile: path.resolve(c.KGD_TLS_CERT), keyFile: path.resolve(c.KGD_TLS_KEY) }
      : undefined,
  dataDir: path.resolve(c.KGD_DATA_DIR),
  databaseUrl: c.DATABASE_URL,
  dbPoolSize: c.KGD_DB_POOL_SIZE,
  marketplaceKeys: c.KGD_MARKETPLACE_KEYS ?? [],
  masterKey: c.KGD_MASTER_KEY,
  previousMasterKeys: c.KGD_MASTER_KEY_PREVIOUS ?? [],
  producePath: c.KGD_PRODUCE_PATH,
  logLevel: c.KGD_LOG_LEVEL,
  v1MaxSkewMs: c.KGD_V1_MAX_SKEW_SECONDS * 1000,
  v2MaxSkewMs: c.KGD_V2_MAX_SKEW_SECONDS * 1000,
  encryptType: (c.KGD_ENCRYPT_TYPE === '2' ? 2 : 1) as 1 | 2,
  answerDeadlineMs: c.KGD_ANSWER_DEADLINE_MS,
  maxBodyBytes: c.KGD_MAX_BODY_BYTES,
  shutdownGraceMs: c.KGD_SHUTDOWN_GRACE_MS,
  /** A second listener for the admin API, dashboard and /metrics; unset, they share the main one. */
  admin:
    c.KGD_ADMIN_PORT === undefined ? undefined : { host: c.KGD_ADMIN_HOST, port: c.KGD_ADMIN_PORT },
  surfaces: {
    operatorBodyBytes: c.KGD_ADMIN_MAX_BODY_BYTES,
    metricsPublic: c.KGD_METRICS_PUBLIC,
    perMinute: {
      login: c.KGD_RATE_LOGIN_PER_MINUTE,
      status: c.KGD_RATE_STATUS_PER_MINUTE,
      metrics: c.KGD_RATE_METRICS_PER_MINUTE,
    },
    sessions: {
      idleMs: c.KGD_SESSION_IDLE_MINUTES * 60_000,
      maxMs: c.KGD_SESSION_MAX_HOURS * 3_600_000,
    },
  },
  http: {
    headersTimeoutMs: c.KGD_HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: c.KGD_HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: c.KGD_HTTP_KEEPALIVE_TIMEOUT_MS,
    maxConnections: c.KGD_HTTP_MAX_CONNECTIONS,
    maxConnectionsPerAddress: c.KGD_HTTP_MAX_CONNECTIONS_PER_ADDRESS,
  },
  marketplaceApiUrl: c.KGD_MARKETPLACE_API_URL ?? marketplaceSites[c.KGD_MARKETPLACE_API_SITE],
  /** Where uploads and license-code calls go when the first host is unavailable (spec §2.6). */
  marketplaceApiFallbackUrl: c.KGD_MARKETPLACE_API_FALLBACK_URL,
  orderApiTimeoutMs: c.KGD_ORDER_API_TIMEOUT_MS,
  cloud: {
    ak: c.KGD_CLOUD_AK,
    sk: c.KGD_CLOUD_SK,
    projectId: c.KGD_CLOUD_PROJECT_ID,
    region: c.KGD_CLOUD_REGION,
    endpoint: c.KGD_CLOUD_ENDPOINT,
    enterpriseProjectId: c.KGD_CLOUD_ENTERPRISE_PROJECT_ID,
    imageIds: Object.fromEntries(
      (c.KGD_CLOUD_IMAGE_IDS ?? '')
        .split(',')
        .filter(Boolean)
        .map((pair) => pair.split('=') as [string, string]),
    ),
    sharedNetwork:
      c.KGD_CLOUD_SHARED_VPC_ID && c.KGD_CLOUD_SHARED_SUBNET_ID
        ? { vpcId: c.KGD_CLOUD_SHARED_VPC_ID, subnetId: c.KGD_CLOUD_SHARED_SUBNET_ID }
        : undefined,
    timeoutMs: c.KGD_CLOUD_TIMEOUT_MS,
    createRatePerMinute: c.KGD_CLOUD_CREATE_RATE_PER_MINUTE,
    pollRatePerSecond: c.KGD_CLOUD_POLL_RATE_PER_SECOND,
    pollIntervalMs: c.KGD_POLL_INTERVAL_MS,
  },

  templatesDir: templatesDir(c.KGD_TEMPLATES_DIR),
  /** Refused for buyer-named servers besides every non-public address; unset: the templates' VPC CIDRs. */
  buyerTargetDeny: c.KGD_BUYER_TARGET_DENY?.split(',').map((cidr) => cidr.trim()),
  engineConcurrency: c.KGD_ENGINE_CONCURRENCY,
  deployAlertMs: c.KGD_DEPLOY_ALERT_MINUTES * 60_000,
  deployTestOrders: c.KGD_DEPLOY_TEST_ORDERS,
  alerts: {
    file: c.KGD_ALERTS_FILE === undefined ? undefined : path.resolve(c.KGD_ALERTS_FILE),
    webhook: { url: c.KGD_ALERT_WEBHOOK_URL, secret: c.KGD_ALERT_WEBHOOK_SECRET },
    wecom: { url: c.KGD_ALERT_WECOM_URL },
    dingtalk: { url: c.KGD_ALERT_DINGTALK_URL, secret: c.KGD_ALERT_DINGTALK_SECRET },
    feishu: { url: c.KGD_ALERT_FEISHU_URL, secret: c.KGD_ALERT_FEISHU_SECRET },
    email: { smtp: c.KGD_ALERT_SMTP_URL, from: c.KGD_ALERT_EMAIL_FROM, to: c.KGD_ALERT_EMAIL_TO },
    smn: { topicUrn: c.KGD_ALERT_SMN_TOPIC_URN },
    minSeverity: c.KGD_ALERT_MIN_SEVERITY,
    resolveAfterMs: c.KGD_ALERT_RESOLVE_AFTER_MINUTES * 60_000,
    certificateWarnMs: c.KGD_ALERT_CERT_DAYS * 86_400_000,
    quotaRatio: c.KGD_ALERT_QUOTA_PERCENT / 100,
    marketplaceKeyRotateBy: c.KGD_MARKETPLACE_KEY_ROTATE_BY,
  },
  replicaTimeoutMs: c.KGD_REPLICA_TIMEOUT_SECONDS * 1000,
  simulator: {
    port: c.KGD_SIM_PORT,
    sshPort: c.KGD_SIM_SSH_PORT,
    timeScale: c.KGD_SIM_TIME_SCALE,
  },
  executorId: c.KGD_EXECUTOR_ID,
  appVersion: c.KGD_APP_VERSION,
  tracing: {
    /** Where spans go (OTLP over HTTP, JSON); undefined: tracing off, no SDK loaded. */
    tracesUrl:
      c.OTEL_SDK_DISABLED || c.OTEL_TRACES_EXPORTER?.trim() === 'none'
        ? undefined
        : (c.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
          (c.OTEL_EXPORTER_OTLP_ENDPOINT && `${c.OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces`)),
    serviceName: c.OTEL_SERVICE_NAME,
  },
}));

export type Config = z.output<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const knownKeys = new Set(Object.keys(schema.shape));

function readConfigFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`KGD_CONFIG_FILE: cannot read ${file} (${(err as Error).message})`]);
  }
  let parsed: unknown;
  try {
    parsed = YAML.parse(text);
  } catch (err) {
    throw new ConfigError([
      `KGD_CONFIG_FILE: ${file} is not valid YAML/JSON: ${(err as Error).message}`,
    ]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError([
      `KGD_CONFIG_FILE: ${file} must hold a mapping of setting names to values`,
    ]);
  }
  const out: Record<string, string> = {};
  const problems: string[] = [];
  for (const [k, v] of Object.entries(parsed)) {
    if (!knownKeys.has(k)) {
      problems.push(`${k} (in ${file}): unknown setting`);
      continue;
    }
    out[k] = Array.isArray(v) ? v.join(',') : String(v);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

/** Parses the whole configuration once; a bad value throws a ConfigError naming the variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const fromFile = env.KGD_CONFIG_FILE ? readConfigFile(env.KGD_CONFIG_FILE) : {};
  const merged: Record<string, string> = { ...fromFile };
  for (const key of knownKeys) {
    const v = env[key];
    if (v !== undefined && v !== '') merged[key] = v;
  }
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'configuration');
        const where =
          name in fromFile && !(env[name] ?? '') ? ` (from ${env.KGD_CONFIG_FILE})` : '';
        return `${name}${where}: ${issue.message}`;
      }),
    );
  }
  return result.data;
}

/** The documented settings, for `kgd config check` and the README. */
export const settingNames = [...knownKeys];
