import { decryptField, type EncryptType } from '../../marketplace/protocol/field-crypto.js';
import { verifyAnswerSignature } from '../../marketplace/protocol/signatures.js';
import type { Protocol } from './request-builder.js';

/**
 * What the marketplace checks in a seller's answer (spec §2.3, §2.4, §3, §4, §5): the result code,
 * the `Body-Sign` over the exact bytes, the encrypted `appInfo` fields and the documented field
 * limits. Each deviation is a human-readable problem; an answer with problems is not accepted.
 */

export interface AppInfo {
  frontEndUrl?: string;
  adminUrl?: string;
  /** Decrypted. */
  userName?: string;
  /** Decrypted. */
  password?: string;
  memo?: string;
}

interface InstanceInfo {
  instanceId: string;
  appInfo?: AppInfo;
  usageInfo?: unknown;
}

type BodySignState = 'valid' | 'invalid' | 'missing';

export interface AnswerCheck {
  parsed?: Record<string, unknown>;
  resultCode?: string;
  resultMsg?: string;
  bodySign: BodySignState;
  encryptType?: EncryptType;
  instanceId?: string;
  appInfo?: AppInfo;
  info?: InstanceInfo[];
  license?: string;
  problems: string[];
}

/** Result codes that mean "done" for an activity; V2 newInstance and getLicenseAsync may also answer "in progress". */
export function successCodes(protocol: Protocol, activity: string): string[] {
  return protocol === 'v2' && ['newInstance', 'getLicenseAsync'].includes(activity)
    ? ['000000', '000004']
    : ['000000'];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

function limit(problems: string[], field: string, value: string | undefined, max: number) {
  if (value !== undefined && value.length > max) {
    problems.push(`${field} is ${value.length} characters, more than ${max}`);
  }
}

/** `encryptType` undefined: the fields are plain text (V2 answers, spec §2.5). */
function decryptAppInfo(
  raw: unknown,
  key: string,
  encryptType: EncryptType | undefined,
  where: string,
  problems: string[],
): AppInfo | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object') {
    problems.push(`${where} is not an object`);
    return undefined;
  }
  const r = raw as Record<string, unknown>;
  const info: AppInfo = {
    frontEndUrl: str(r.frontEndUrl),
    adminUrl: str(r.adminUrl),
    memo: str(r.memo),
  };
  limit(problems, `${where}.frontEndUrl`, info.frontEndUrl, 512);
  limit(problems, `${where}.memo`, info.memo, 1024);
  for (const field of ['userName', 'password'] as const) {
    const cipher = str(r[field]);
    if (!cipher) continue;
    limit(problems, `${where}.${field}`, cipher, 128);
    if (encryptType === undefined) {
      info[field] = cipher;
      continue;
    }
    try {
      info[field] = decryptField(cipher, key, encryptType);
    } catch (err) {
      problems.push(
        `${where}.${field} does not decrypt with the Key (encryptType ${encryptType}): ${(err as Error).message}`,
      );
    }
  }
  return info;
}

/**
 * Checks one answer. `key` is the marketplace's true Key, whatever key the request was signed
 * with, because the seller signs answers with its configured Key.
 */
export function checkAnswer(input: {
  protocol: Protocol;
  activity: string;
  key: string;
  status: number;
  bodySignHeader: string | null;
  body: Buffer;
}): AnswerCheck {
  const problems: string[] = [];
  // V2 answers are signed too (spec §2.4: required for 在线开通License, the scheme is the project's).
  const bodySign: BodySignState = verifyAnswerSignature(
    input.protocol,
    input.key,
    () => input.bodySignHeader,
    input.body,
  );
  if (bodySign === 'invalid') problems.push('Body-Sign does not verify over the answer bytes');
  if (bodySign === 'missing') problems.push('Body-Sign header missing');
  if (input.status !== 200) problems.push(`HTTP status ${input.status}, expected 200`);
  let parsed: Record<string, unknown> | undefined;
  try {
    const value: unknown = JSON.parse(input.body.toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      parsed = value as Record<string, unknown>;
    } else problems.push('answer is JSON but not an object');
  } catch {
    problems.push('answer is not JSON');
  }
  if (!parsed) return { bodySign, problems };

  const resultCode = str(parsed.resultCode);
  if (!resultCode) problems.push('resultCode missing');
  const rawType = str(parsed.encryptType);
  let encryptType: EncryptType = 1;
  if (rawType === '2') encryptType = 2;
  else if (rawType !== undefined && rawType !== '1') {
    problems.push(`encryptType ${rawType} is neither 1 (AES-256) nor 2 (AES-128)`);
  }
  // V2 answers carry the credentials in plain text and no encryptType (spec §2.5, §6).
  const plain = input.protocol === 'v2';
  if (plain && rawType !== undefined)
    problems.push('encryptType in a V2 answer: V2 sends appInfo in plain text without it');
  const fieldsType = plain ? undefined : encryptType;
  const instanceId = str(parsed.instanceId);
  limit(problems, 'instanceId', instanceId, 64);
  const ok =
    resultCode !== undefined && successCodes(input.protocol, input.activity).includes(resultCode);
  const wantsInstanceId = ['newInstance', 'getLicense'].includes(input.activity);
  if (ok && wantsInstanceId && !instanceId)
    problems.push('instanceId missing from a success answer');
  const appInfo = decryptAppInfo(parsed.appInfo, input.key, fieldsType, 'appInfo', problems);
  let info: InstanceInfo[] | undefined;
  if (Array.isArray(parsed.info)) {
    info = parsed.info.map((entry, i) => {
      const e = (entry ?? {}) as Record<string, unknown>;
      const id = str(e.instanceId);
      if (!id) problems.push(`info[${i}].instanceId missing`);
      return {
        instanceId: id ?? '',
        appInfo: decryptAppInfo(e.appInfo, input.key, fieldsType, `info[${i}].appInfo`, problems),
        usageInfo: e.usageInfo,
      };
    });
  }
  return {
    parsed,
    resultCode,
    resultMsg: str(parsed.resultMsg),
    bodySign,
    encryptType,
    instanceId,
    appInfo,
    info,
    license: str(parsed.license),
    problems,
  };
}
