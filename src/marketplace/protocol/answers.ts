import { type EncryptType, encryptField } from './field-crypto.js';
import { type AnswerProtocol, answerSignatureHeaders } from './signatures.js';

/** The JSON answers KooGallery reads (spec §4–5), serialised once and signed over those bytes. */
export interface AppInfo {
  frontEndUrl?: string;
  adminUrl?: string;
  userName?: string;
  password?: string;
  memo?: string;
}

export interface InstanceInfo {
  instanceId: string;
  appInfo?: AppInfo;
  usageInfo?: Record<string, unknown>;
}

/**
 * KooGallery's result codes (spec §3), a closed set: `answer()` takes nothing else.
 */
export const ResultCode = {
  ok: '000000',
  authFailed: '000001',
  invalidRequest: '000002',
  unknownInstance: '000003',
  inProgress: '000004',
  internalError: '000005',
  licenseExpiryMissing: '000902',
  licenseDeviceMissing: '000903',
} as const;

export type ResultCode = (typeof ResultCode)[keyof typeof ResultCode];

export interface Answer {
  resultCode: ResultCode;
  resultMsg: string;
  instanceId?: string;
  encryptType?: string;
  appInfo?: AppInfo;
  info?: InstanceInfo[];
  license?: string;
}

const resultMessages: Record<ResultCode, string> = {
  '000000': 'success',
  '000001': 'authentication failed',
  '000002': 'invalid request parameters',
  '000003': 'instance does not exist',
  '000004': 'request in progress',
  '000005': 'internal error, retry later',
  '000902': 'expireTime is required',
  '000903': 'a device fingerprint or hardware code is required',
};

export function answer(resultCode: ResultCode, resultMsg?: string): Answer {
  return { resultCode, resultMsg: resultMsg ?? resultMessages[resultCode] };
}

/** The access information as answered: only the fields set, `memo` cut to its 1024 characters. */
function appInfoFields(info: AppInfo, secret: (plain: string) => string): AppInfo {
  const out: AppInfo = {};
  if (info.frontEndUrl) out.frontEndUrl = info.frontEndUrl;
  if (info.adminUrl) out.adminUrl = info.adminUrl;
  if (info.userName) out.userName = secret(info.userName);
  if (info.password) out.password = secret(info.password);
  if (info.memo) out.memo = info.memo.slice(0, 1024);
  return out;
}

/** V1 (newInstance, queryInstance): `userName` and `password` encrypted per `encryptType`. */
export function encryptAppInfo(info: AppInfo, key: string, encryptType: EncryptType): AppInfo {
  return appInfoFields(info, (plain) => encryptField(plain, key, encryptType));
}

/** V2 queryInstance: `userName` and `password` in plain text, no `encryptType` (spec §2.5, §6). */
export function plainAppInfo(info: AppInfo): AppInfo {
  return appInfoFields(info, (plain) => plain);
}

export interface EncodedAnswer {
  body: string;
  headers: Record<string, string>;
}

/**
 * Non-ASCII written as `\uXXXX` (spec §5: memo 中文 → `\u4e2d\u6587`): the same JSON value, in
 * bytes every reader decodes alike whatever charset it assumes.
 */
const asciiJson = (value: unknown) =>
  JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

/** Serialised once; the signature is over exactly the bytes sent (spec §2.4). */
export function encodeAnswer(a: Answer, key: string, protocol: AnswerProtocol): EncodedAnswer {
  const body = asciiJson(a);
  return {
    body,
    headers: {
      'content-type': 'application/json;charset=UTF-8',
      ...answerSignatureHeaders(protocol, key, body),
    },
  };
}
