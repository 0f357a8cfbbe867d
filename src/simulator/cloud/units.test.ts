import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../test/support/fakes/manual-clock.js';
import { systemClock } from '../../platform/clock.js';
import { createEipPool } from './eip-pool.js';
import { createFaults } from './faults.js';
import { cidrInside, parseCidr } from './ipv4.js';
import { createLatency } from './latency.js';
import { passwordProblem } from './passwords.js';
import { createRandom } from './random.js';
import { createRateLimiter } from './rate-limit.js';
import { createScheduler } from './scheduler.js';

describe('scheduler', () => {
  it('runs due transitions in time order on advance, and nothing early', () => {
    const clock = createManualClock();
    const s = createScheduler(clock, (e) => {
      throw e;
    });
    const ran: string[] = [];
    const t0 = clock.now().getTime();
    s.at(t0 + 200, () => ran.push('b'));
    s.at(t0 + 100, () => {
      ran.push('a');
      s.at(t0 + 150, () => ran.push('a2'));
    });
    s.at(t0 + 200, () => ran.push('c'));
    s.advance();
    expect(ran).toEqual([]);
    clock.advance(200);
    s.advance();
    expect(ran).toEqual(['a', 'a2', 'b', 'c']);
    expect(s.pending()).toBe(0);
    s.stop();
  });

  it('fires from its timer on the system clock, without anyone reading', async () => {
    const s = createScheduler(systemClock, () => {});
    let fired = false;
    s.at(Date.now() + 20, () => {
      fired = true;
    });
    const end = Date.now() + 2000;
    while (!fired && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    expect(fired).toBe(true);
    s.stop();
  });
});

describe('faults', () => {
  it('consumes scripts first, then counted and rated rules, matching patterns', () => {
    const f = createFaults(createRandom(1));
    f.script('ecs.showJob', [{ kind: 'throttle' }, null, { kind: 'reset' }]);
    f.inject({ api: 'ecs.*', fault: { kind: 'server-error' }, times: 1 });
    expect(f.pick('ecs.showJob')).toEqual({ kind: 'throttle' });
    expect(f.pick('ecs.showJob')).toBeUndefined();
    expect(f.pick('ecs.showJob')).toEqual({ kind: 'reset' });
    expect(f.pick('ecs.showJob')).toEqual({ kind: 'server-error' });
    expect(f.pick('ecs.showJob')).toBeUndefined();
    expect(f.pick('vpc.showVpc')).toBeUndefined();
  });

  it('applies a rate statistically and a sold-out by AZ and/or flavor', () => {
    const f = createFaults(createRandom(42));
    f.inject({ api: '*', fault: { kind: 'throttle' }, rate: 0.3 });
    const hits = Array.from({ length: 2000 }, () => f.pick('vpc.createVpc')).filter(Boolean).length;
    expect(hits).toBeGreaterThan(450);
    expect(hits).toBeLessThan(750);
    f.soldOut({ az: 'cn-north-4a' });
    f.soldOut({ flavor: 'c7.large.2' });
    expect(f.isSoldOut('cn-north-4a', 's6.small.1')).toBe(true);
    expect(f.isSoldOut('cn-north-4b', 'c7.large.2')).toBe(true);
    expect(f.isSoldOut('cn-north-4b', 's6.small.1')).toBe(false);
    f.clear();
    expect(f.isSoldOut('cn-north-4a', 's6.small.1')).toBe(false);
  });
});

describe('rate limiter', () => {
  it('allows N per sliding minute per API, the most specific limit winning', () => {
    const clock = createManualClock();
    const r = createRateLimiter(clock, { 'ecs.*': 2, 'ecs.showJob': 3, '*': 100 });
    expect([r.take('ecs.showServer'), r.take('ecs.showServer'), r.take('ecs.showServer')]).toEqual([
      undefined,
      undefined,
      2,
    ]);
    expect([
      r.take('ecs.showJob'),
      r.take('ecs.showJob'),
      r.take('ecs.showJob'),
      r.take('ecs.showJob'),
    ]).toEqual([undefined, undefined, undefined, 3]);
    clock.advance(60_001);
    expect(r.take('ecs.showServer')).toBeUndefined();
  });
});

describe('small parts', () => {
  it('hands out loopback EIPs, skipping .0 and .255, reusing released ones', () => {
    const pool = createEipPool('127.20.0.0/30');
    expect([pool.allocate(), pool.allocate(), pool.allocate()]).toEqual([
      '127.20.0.1',
      '127.20.0.2',
      undefined,
    ]);
    pool.release('127.20.0.1');
    expect(pool.allocate()).toBe('127.20.0.1');
    expect(() => createEipPool('nonsense')).toThrow(/eipPool/);
  });

  it('parses CIDRs strictly', () => {
    expect(parseCidr('192.168.1.0/24')).toEqual({ base: 0xc0a80100, prefix: 24, size: 256 });
    expect(parseCidr('192.168.1.5/24')).toBeUndefined();
    expect(cidrInside(parseCidr('192.168.1.0/24')!, parseCidr('192.168.0.0/16')!)).toBe(true);
  });

  it('time-scales and jitters durations reproducibly', () => {
    const a = createLatency({ timeScale: 0.01, random: createRandom(3) });
    const b = createLatency({ timeScale: 0.01, random: createRandom(3) });
    const d = a.draw('serverCreateMs');
    expect(d).toBe(b.draw('serverCreateMs'));
    expect(d).toBeGreaterThanOrEqual(300);
    expect(d).toBeLessThanOrEqual(600);
    expect(createLatency({ timeScale: 0, random: Math.random }).draw('resizeMs')).toBe(0);
    expect(() => createLatency({ timeScale: -1, random: Math.random })).toThrow(/timeScale/);
  });

  it('judges passwords as ECS does', () => {
    expect(passwordProblem('Kgd-Pass-01')).toBeUndefined();
    expect(passwordProblem('short1A')).toMatch(/8 to 26/);
    expect(passwordProblem('alllowercase')).toMatch(/three of/);
  });
});
