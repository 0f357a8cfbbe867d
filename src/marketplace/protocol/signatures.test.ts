import { describe, expect, it } from 'vitest';
import {
  answerSignatureHeaders,
  bodySignHeader,
  parseBodySign,
  v1AuthToken,
  v1CanonicalString,
  v2Signature,
  verifyAnswerSignature,
  verifyV1,
  verifyV2,
} from './signatures.js';

/** The test vectors of spec §2, verbatim. */
describe('V1 authToken (spec §2.1)', () => {
  const params: [string, string][] = [
    ['testFlag', '1'],
    ['orderId', 'o1'],
    ['activity', 'newInstance'],
    ['timeStamp', '20200727073711903'],
    ['customerId', 'c1'],
    ['businessId', 'b1'],
  ];

  it('joins every parameter but authToken, sorted by name', () => {
    expect(v1CanonicalString([...params, ['authToken', 'x']])).toBe(
      'activity=newInstance&businessId=b1&customerId=c1&orderId=o1&testFlag=1&timeStamp=20200727073711903',
    );
  });

  it('matches the spec vector', () => {
    expect(v1AuthToken('test-access-key-123', params)).toBe(
      '77MMxuN6LTWLmMuJ5uhAv+p0TjXLAB/9DmvWDQ/kjCY=',
    );
  });

  it('sorts by code unit like Java TreeMap (upper case before lower case)', () => {
    expect(
      v1CanonicalString([
        ['b', '1'],
        ['B', '2'],
        ['a', '3'],
      ]),
    ).toBe('B=2&a=3&b=1');
  });

  it('verifies under whichever configured key signed it', () => {
    const token = v1AuthToken('test-access-key-123', params);
    expect(verifyV1(['other-key-000000', 'test-access-key-123'], params, token)).toBe(1);
    expect(verifyV1(['other-key-000000'], params, token)).toBeUndefined();
    expect(verifyV1(['test-access-key-123'], [...params, ['extra', '1']], token)).toBeUndefined();
  });
});

describe('V2 signature (spec §2.2)', () => {
  const key = 'demo-access-key-0001';
  const nonce = '6D5B2E1F0A9C8B7A6D5B2E1F0A9C8B7A';
  const body =
    '{"activity":"newInstance","businessId":"b-0001","orderId":"CS0001","orderLineId":"CS0001-000001","testFlag":"1"}';

  it('matches the spec vector with the HMAC inner digest', () => {
    expect(v2Signature(key, nonce, '1700000000000', body)).toBe(
      '02FD035C639A895B2D5FE3B2CC693C8EFACAAF9177B74FE2189786EA7E2D5785',
    );
  });

  it('matches the spec vector with the SHA-256 inner digest', () => {
    expect(v2Signature(key, nonce, '1700000000000', body, 'sha256')).toBe(
      '25E9BCE6E7C85C6D38C9731DBF53105171BA9E65F58263CD86CFC692A2A1962D',
    );
  });

  it('accepts both inner digests and either case, refuses a changed byte', () => {
    const b = Buffer.from(body);
    expect(
      verifyV2(
        [key],
        nonce,
        '1700000000000',
        b,
        '02fd035c639a895b2d5fe3b2cc693c8efacaaf9177b74fe2189786ea7e2d5785',
      ),
    ).toBe(0);
    expect(
      verifyV2(
        [key],
        nonce,
        '1700000000000',
        b,
        '25E9BCE6E7C85C6D38C9731DBF53105171BA9E65F58263CD86CFC692A2A1962D',
      ),
    ).toBe(0);
    expect(
      verifyV2(
        [key],
        nonce,
        '1700000000001',
        b,
        '02FD035C639A895B2D5FE3B2CC693C8EFACAAF9177B74FE2189786EA7E2D5785',
      ),
    ).toBeUndefined();
    expect(
      verifyV2(
        [key],
        nonce,
        '1700000000000',
        Buffer.from(`${body} `),
        '02FD035C639A895B2D5FE3B2CC693C8EFACAAF9177B74FE2189786EA7E2D5785',
      ),
    ).toBeUndefined();
  });
});

describe('Body-Sign (spec §2.3)', () => {
  it('matches the spec vector', () => {
    const header = bodySignHeader(
      'demo-access-key-0001',
      '{"resultCode":"000000","resultMsg":"success"}',
    );
    expect(header).toBe(
      'sign_type="HMAC-SHA256", signature= "yVliMb/ErYAJtwUb5lIatctGfdhTtFAV3TNVnJxnzx8="',
    );
    expect(parseBodySign(header)).toBe('yVliMb/ErYAJtwUb5lIatctGfdhTtFAV3TNVnJxnzx8=');
  });

  it('signs V2 answers the same way, keyed with the accessKey, and verifies them', () => {
    const body = '{"resultCode":"000000","resultMsg":"success"}';
    const headers = answerSignatureHeaders('v2', 'demo-access-key-0001', body);
    expect(headers['Body-Sign']).toBe(
      'sign_type="HMAC-SHA256", signature= "yVliMb/ErYAJtwUb5lIatctGfdhTtFAV3TNVnJxnzx8="',
    );
    const get = (name: string) => (name === 'body-sign' ? headers['Body-Sign'] : undefined);
    expect(verifyAnswerSignature('v2', 'demo-access-key-0001', get, body)).toBe('valid');
    expect(verifyAnswerSignature('v2', 'other-key', get, body)).toBe('invalid');
    expect(verifyAnswerSignature('v2', 'demo-access-key-0001', get, `${body} `)).toBe('invalid');
    expect(verifyAnswerSignature('v2', 'demo-access-key-0001', () => null, body)).toBe('missing');
  });
});
