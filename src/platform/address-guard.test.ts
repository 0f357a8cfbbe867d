import { describe, expect, it } from 'vitest';
import {
  type AddressPolicy,
  coversMetadata,
  guardAddress,
  refusalOf,
  resolveGuarded,
  resolveWithSystem,
  TargetRefused,
} from './address-guard.js';
import { Permanent } from './errors.js';

const none: AddressPolicy = { deny: [], allow: [] };

describe('refusalOf', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.20.3.4', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private (RFC 1918)'],
    ['172.16.0.9', 'private (RFC 1918)'],
    ['192.168.1.1', 'private (RFC 1918)'],
    ['::ffff:192.168.1.1', 'private (RFC 1918)'],
    ['100.64.0.1', 'carrier-grade NAT (100.64.0.0/10)'],
    ['100.127.255.254', 'carrier-grade NAT (100.64.0.0/10)'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['169.254.169.254', 'the metadata address (169.254.169.254)'],
    ['::ffff:169.254.169.254', 'the metadata address (169.254.169.254)'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['fd12:3456::1', 'unique-local (fc00::/7)'],
    ['64:ff9b::7f00:1', 'special-purpose (rfc6052)'],
    ['2002:7f00:1::', 'special-purpose (6to4)'],
    ['localhost', 'not an IP address'],
  ])('refuses %s: %s', (address, rule) => {
    expect(refusalOf(address, none)).toBe(rule);
  });

  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '100.128.0.1'])(
    'admits the public address %s',
    (address) => {
      expect(refusalOf(address, none)).toBeUndefined();
    },
  );

  it('refuses a public address in the deny list, even when the allow list names it too', () => {
    const policy = { deny: ['8.8.8.0/24'], allow: ['8.8.0.0/16'] };
    expect(refusalOf('8.8.8.8', policy)).toBe('in the deny list (8.8.8.0/24)');
    expect(refusalOf('::ffff:8.8.8.8', policy)).toBe('in the deny list (8.8.8.0/24)');
    expect(refusalOf('8.8.4.4', policy)).toBeUndefined();
  });

  it('admits a private address only where the allow list names it, never the metadata address', () => {
    const policy = { deny: [], allow: ['10.8.0.0/16', '169.254.0.0/16'] };
    expect(refusalOf('10.8.1.5', policy)).toBeUndefined();
    expect(refusalOf('10.9.1.5', policy)).toBe('private (RFC 1918)');
    expect(refusalOf('169.254.1.1', policy)).toBeUndefined();
    expect(refusalOf('169.254.169.254', policy)).toBe('the metadata address (169.254.169.254)');
    expect(coversMetadata('169.254.0.0/16')).toBe(true);
    expect(coversMetadata('10.8.0.0/16')).toBe(false);
  });
});

describe('guardAddress and resolveGuarded', () => {
  it('names the address and the rule in a permanent refusal', () => {
    let error: unknown;
    try {
      guardAddress('169.254.169.254', none);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TargetRefused);
    expect(error).toBeInstanceOf(Permanent);
    expect((error as Error).message).toBe(
      'refused to connect to the buyer-named address 169.254.169.254: the metadata address (169.254.169.254)',
    );
  });

  it('refuses a host name that resolves to 127.0.0.1 (the system resolver)', async () => {
    await expect(resolveGuarded('localhost', none)).rejects.toThrow(
      /buyer-named address (127\.0\.0\.1|::1) \(localhost\): loopback/,
    );
  });

  it('refuses a name with one refused address among public ones, and pins the first otherwise', async () => {
    const answers: Record<string, string[]> = {
      'mixed.example': ['8.8.8.8', '10.0.0.5'],
      'public.example': ['::ffff:8.8.4.4', '8.8.8.8'],
    };
    const resolve = async (host: string) => answers[host] ?? [];
    await expect(resolveGuarded('mixed.example', none, resolve)).rejects.toThrow(
      'refused to connect to the buyer-named address 10.0.0.5 (mixed.example): private (RFC 1918)',
    );
    expect(await resolveGuarded('public.example', none, resolve)).toBe('8.8.4.4');
    await expect(resolveGuarded('empty.example', none, resolve)).rejects.toThrow('has no address');
  });

  it('fails permanently for a name that does not exist', async () => {
    await expect(resolveWithSystem('no-such-host.invalid')).rejects.toBeInstanceOf(Permanent);
  });
});
