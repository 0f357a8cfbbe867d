import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { findHits, type Secret, searchForms } from './forms.js';

const secret = (name: string, value: string | Buffer): Secret => ({
  name,
  value: Buffer.isBuffer(value) ? value : Buffer.from(value),
});
const source = (name: string, text: string | Buffer) => ({
  name,
  data: Buffer.isBuffer(text) ? text : Buffer.from(text),
});

describe('findHits', () => {
  const password = secret('root password', 'Pa"ss/word+9\\x');

  it('finds a secret as is, JSON-escaped and URL-encoded', () => {
    const hits = findHits(
      [
        source('plain', `ssh root:${password.value} ok`),
        source('json', JSON.stringify({ msg: `password ${password.value}` })),
        source('url', `postgres://u:${encodeURIComponent(password.value.toString())}@h/db`),
      ],
      [password],
    );
    expect(hits.map((h) => [h.source, h.kind])).toEqual([
      ['plain', 'plain'],
      ['json', 'json-escaped'],
      ['url', 'url-encoded'],
    ]);
  });

  it('finds a secret inside a larger base64 or base64url text at every byte alignment', () => {
    for (let pad = 0; pad < 6; pad++) {
      const blob = Buffer.concat([randomBytes(pad + 1), password.value, randomBytes(5)]);
      for (const encoding of ['base64', 'base64url'] as const) {
        const hits = findHits([source('blob', blob.toString(encoding))], [password]);
        expect(hits, `${encoding} pad ${pad}`).toHaveLength(1);
        // base64 and base64url forms are one form when the secret's encoding has no + or /.
        expect(hits[0]!.kind).toMatch(/^base64/);
      }
    }
  });

  it('finds raw key bytes by their hex in either case', () => {
    const key = secret('master key', randomBytes(32));
    const hex = key.value.toString('hex');
    const hits = findHits(
      [source('lower', `x=${hex}`), source('upper', `x=${hex.toUpperCase()}`)],
      [key],
    );
    expect(hits.map((h) => h.kind)).toEqual(['hex', 'HEX']);
  });

  it('reports nothing when the secret is absent, even where a prefix of it appears', () => {
    const text = `${password.value.subarray(0, 10)} and a base64 ${randomBytes(64).toString('base64')}`;
    expect(findHits([source('log', text)], [password])).toEqual([]);
  });

  it('reports each leak once and masks every secret in the printed context', () => {
    const other = secret('marketplace key', 'mk-0123456789abcdef');
    const line = `{"msg":"login ${password.value} with ${other.value} done"}`;
    const hits = findHits([source('log', line)], [password, other]);
    expect(hits.map((h) => h.secret).sort()).toEqual(['marketplace key', 'root password']);
    for (const h of hits) {
      expect(h.context).not.toContain('ss/word');
      expect(h.context).not.toContain('0123456789');
      expect(h.context).toContain('<root password>');
      expect(h.context).toContain('<marketplace key>');
    }
  });

  it('masks a secret cut by the edge of the context window', () => {
    const other = secret(
      'signing key line',
      'MC4CAQAwBQYDK2VwBCIEIAbcdefghijklmnopqrstuvwxyz0123456789',
    );
    const line = `${other.value}${'.'.repeat(5)}${password.value}`;
    const [hit] = findHits([source('log', line)], [password, other]).filter(
      (h) => h.secret === 'root password',
    );
    expect(hit!.context).toBe('<signing key line>.....<root password>');
  });

  it('skips forms too short to be told from chance', () => {
    expect(searchForms(secret('pin', '1234'))).toEqual([]);
  });
});
