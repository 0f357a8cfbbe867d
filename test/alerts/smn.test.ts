import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmnChannel } from '../../src/alerts/channels/smn.js';
import type { AlertNotice } from '../../src/alerts/notice.js';
import { silenceSdkLogging } from '../../src/cloud/sdk-quiet.js';
import { Permanent } from '../../src/platform/errors.js';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/server.js';

/**
 * The SMN channel sends PublishMessage through the official Huawei SDK core over HTTP to the
 * simulator, which checks the SDK-HMAC-SHA256 signature as the cloud's gateway does.
 */
let sim: SimulatorHandle;
beforeAll(async () => {
  sim = await startSimulator({ seed: 3, latency: { apiMs: [0, 0] } });
});
afterAll(async () => {
  await sim?.stop();
});

const notice: AlertNotice = {
  version: 1,
  id: 'notice_smn_1',
  alertId: 'alert_smn_1',
  event: 'firing',
  kind: 'replica-lost',
  severity: 'warning',
  key: 'replica-lost:kgd-2',
  title: 'A replica stopped heartbeating',
  summary: 'replica kgd-2 stopped heartbeating at 2026-12-06T00:00:00.000Z',
  runbook: 'systemctl status kgd',
  details: { executorId: 'kgd-2' },
  startedAt: '2026-12-06T00:00:00.000Z',
  resolvedAt: null,
  source: 'https://deploy.example.com',
  test: false,
};

const channel = (over: { sk?: string; topicUrn?: string } = {}) =>
  createSmnChannel(
    {
      name: 'smn',
      topicUrn: over.topicUrn ?? `urn:smn:${sim.region}:${sim.projectId}:kgd-alerts`,
      severities: ['critical', 'warning'],
    },
    {
      ak: sim.ak,
      sk: over.sk ?? sim.sk,
      projectId: sim.projectId,
      endpoint: sim.endpoint,
      quietSdk: silenceSdkLogging,
    },
  );

describe('SMN channel', () => {
  it('publishes the notice to the topic, signed by the SDK', async () => {
    await channel().send(notice);
    const { messages } = (await (await fetch(`${sim.endpoint}/sim/smn/messages`)).json()) as {
      messages: Array<{ topicUrn: string; subject: string; message: string }>;
    };
    expect(messages).toHaveLength(1);
    expect(messages[0]!.topicUrn).toBe(`urn:smn:${sim.region}:${sim.projectId}:kgd-alerts`);
    expect(messages[0]!.subject).toBe(`[WARNING] replica-lost: ${notice.summary}`);
    expect(messages[0]!.message).toContain('Runbook: systemctl status kgd');
  });

  it('a wrong secret key is refused by the signature check: permanent', async () => {
    const err = await channel({ sk: 'wrong-secret-key-000' })
      .send(notice)
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(Permanent);
    expect((err as Error).message).toMatch(/401/);
  });

  it("another project's topic does not exist: permanent", async () => {
    const err = await channel({ topicUrn: `urn:smn:${sim.region}:0123abcd:other` })
      .send(notice)
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(Permanent);
    expect((err as Error).message).toMatch(/404/);
  });
});
