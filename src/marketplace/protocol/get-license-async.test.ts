import { describe, expect, it } from 'vitest';
import { parseV2 } from './v2.js';

const example = {
  activity: 'getLicenseAsync',
  eventId: '8e5694c8',
  instanceId: 'RA24LVS',
  effectiveTime: '2023-10-27 10:30:15 z',
  expireTime: '2024-10-27 10:30:15 z',
  deviceFingerprint: '8A6034E2|WD1|B1|C1',
};

describe('getLicenseAsync (spec §7.1)', () => {
  it('parses the documented example: UTC times, event and fingerprint', () => {
    expect(parseV2(example)).toEqual({
      ok: true,
      command: {
        kind: 'license-async',
        test: false,
        instanceId: 'RA24LVS',
        eventId: '8e5694c8',
        effectiveTime: new Date('2023-10-27T10:30:15Z'),
        expireTime: new Date('2024-10-27T10:30:15Z'),
        deviceFingerprint: '8A6034E2|WD1|B1|C1',
      },
    });
  });

  it('accepts every documented zone token and none', () => {
    for (const zone of ['', ' Z', ' UTC', ' GMT', ' +00:00']) {
      const r = parseV2({ ...example, effectiveTime: `2023-10-27 10:30:15${zone}` });
      expect(r.ok && r.command.kind === 'license-async' && r.command.effectiveTime).toEqual(
        new Date('2023-10-27T10:30:15Z'),
      );
    }
  });

  it('names the wrong field: missing eventId, bad or unreal times, a fingerprint over 1024', () => {
    const { eventId: _, ...noEvent } = example;
    expect(parseV2(noEvent)).toMatchObject({ ok: false, message: 'eventId: required, a string' });
    expect(parseV2({ ...example, effectiveTime: '20231027103015' })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^effectiveTime: expected yyyy-MM-dd HH:mm:ss/),
    });
    expect(parseV2({ ...example, expireTime: '2023-02-30 10:30:15 z' })).toMatchObject({
      ok: false,
      message: 'expireTime: not a real date (yyyy-MM-dd HH:mm:ss)',
    });
    expect(parseV2({ ...example, deviceFingerprint: 'x'.repeat(1025) })).toMatchObject({
      ok: false,
      message: 'deviceFingerprint: at most 1024 characters',
    });
  });
});
