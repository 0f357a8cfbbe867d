import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { startCaptureServer } from '../../../test/support/capture-server.js';
import { createManualClock } from '../../../test/support/fakes/manual-clock.js';
import { Permanent, Retryable } from '../../platform/errors.js';
import type { AlertNotice } from '../notice.js';
import { createEmailChannel } from './email.js';
import { createDingtalkChannel, createFeishuChannel, createWecomChannel } from './robots.js';
import { createWebhookChannel } from './webhook.js';

/**
 * Each channel against a local receiver that checks what the vendor checks, the way the vendor
 * documents it: signatures recomputed here from the secret, never with the channel's own code.
 */
const clock = createManualClock({ start: new Date() });
const notice: AlertNotice = {
  version: 1,
  id: 'notice_01',
  alertId: 'alert_01',
  event: 'firing',
  kind: 'deployment-failed',
  severity: 'critical',
  key: 'deployment-failed:kgi-1',
  title: 'Deployment failed',
  summary: 'deployment kgi-1 failed at create-server: Ecs.0319 sold out (售罄)',
  runbook: 'kgd deployments show kgi-1',
  details: { instanceId: 'kgi-1', orderId: 'CS-1' },
  startedAt: '2026-12-06T00:00:00.000Z',
  resolvedAt: null,
  source: 'https://deploy.example.com',
  test: false,
};
const deps = { fetch, clock };
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});
async function receiver(answer: Parameters<typeof startCaptureServer>[0]) {
  const r = await startCaptureServer(answer);
  closers.push(r.close);
  return r;
}
const hmac = (key: string, data: string) => createHmac('sha256', key).update(data);
const same = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

describe('generic webhook', () => {
  const secret = 'whsec-0123456789';
  it('posts the notice as JSON signed over timestamp.body, verifiable by the receiver', async () => {
    const r = await receiver((req) => {
      const ts = String(req.headers['x-kgd-timestamp']);
      const expected = `v1=${hmac(secret, `${ts}.${req.raw.toString('utf8')}`).digest('hex')}`;
      const ok =
        same(String(req.headers['x-kgd-signature']), expected) &&
        Math.abs(Date.now() / 1000 - Number(ts)) < 300;
      return ok ? { status: 204 } : { status: 401, body: { error: 'bad signature' } };
    });
    const channel = createWebhookChannel(
      { name: 'hook', url: `${r.url}/alerts`, secret, severities: ['critical'] },
      deps,
    );
    await channel.send(notice);
    expect(r.received).toHaveLength(1);
    const got = r.received[0]!;
    expect(got.headers['content-type']).toMatch(/^application\/json/);
    expect(got.headers['x-kgd-delivery']).toBe('notice_01');
    expect(got.json).toEqual(notice);
  });

  it('a receiver refusing the signature is a permanent failure; a 503 is retried', async () => {
    const r = await receiver((req) =>
      req.url.pathname === '/busy'
        ? { status: 503 }
        : { status: 401, body: { error: 'bad signature' } },
    );
    const wrong = createWebhookChannel(
      { name: 'hook', url: `${r.url}/x`, secret: 'other', severities: ['critical'] },
      deps,
    );
    await expect(wrong.send(notice)).rejects.toBeInstanceOf(Permanent);
    const busy = createWebhookChannel(
      { name: 'hook', url: `${r.url}/busy`, severities: ['critical'] },
      deps,
    );
    await expect(busy.send(notice)).rejects.toBeInstanceOf(Retryable);
  });

  it('an unreachable receiver is retryable and the error never shows the URL', async () => {
    const r = await receiver(() => undefined);
    await r.close();
    const channel = createWebhookChannel(
      { name: 'hook', url: `${r.url}/hook?token=s3cret-token`, severities: ['critical'] },
      deps,
    );
    const err = await channel.send(notice).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Retryable);
    expect((err as Error).message).not.toContain('s3cret-token');
  });
});

describe('WeCom group robot', () => {
  it('posts markdown to the key in the URL and reads errcode', async () => {
    const r = await receiver((req) => {
      if (req.url.searchParams.get('key') !== 'wecom-key-1')
        return { body: { errcode: 93000, errmsg: 'invalid webhook url' } };
      const body = req.json as { msgtype: string; markdown: { content: string } };
      if (body.msgtype !== 'markdown' || Buffer.byteLength(body.markdown.content) > 4096)
        return { body: { errcode: 40058, errmsg: 'invalid markdown' } };
      return { body: { errcode: 0, errmsg: 'ok' } };
    });
    const ok = createWecomChannel(
      {
        name: 'wecom',
        url: `${r.url}/cgi-bin/webhook/send?key=wecom-key-1`,
        severities: ['critical'],
      },
      deps,
    );
    await ok.send({ ...notice, summary: 'x'.repeat(10_000) });
    const content = (r.received[0]!.json as { markdown: { content: string } }).markdown.content;
    expect(content).toContain('[CRITICAL] deployment-failed');
    const wrong = createWecomChannel(
      { name: 'wecom', url: `${r.url}/cgi-bin/webhook/send?key=nope`, severities: ['critical'] },
      deps,
    );
    await expect(wrong.send(notice)).rejects.toBeInstanceOf(Permanent);
  });

  it('the rate limit (errcode 45009) is retried', async () => {
    const r = await receiver(() => ({
      body: { errcode: 45009, errmsg: 'api freq out of limit' },
    }));
    const channel = createWecomChannel(
      { name: 'wecom', url: `${r.url}/send?key=k`, severities: ['critical'] },
      deps,
    );
    await expect(channel.send(notice)).rejects.toBeInstanceOf(Retryable);
  });
});

describe('DingTalk custom robot with 加签', () => {
  const secret = 'SEC0123456789abcdef';
  const check = (req: Parameters<Parameters<typeof startCaptureServer>[0] & {}>[0]) => {
    // As DingTalk documents it: sign = urlencode(base64(HmacSHA256(secret, timestamp\nsecret))),
    // the timestamp in ms within one hour of DingTalk's clock.
    const ts = req.url.searchParams.get('timestamp') ?? '';
    const sign = req.url.searchParams.get('sign') ?? '';
    const expected = hmac(secret, `${ts}\n${secret}`).digest('base64');
    if (req.url.searchParams.get('access_token') !== 'ding-token')
      return { body: { errcode: 300001, errmsg: 'token is not exist' } };
    if (!same(sign, expected) || Math.abs(Date.now() - Number(ts)) > 3_600_000)
      return { body: { errcode: 310000, errmsg: 'sign not match' } };
    const body = req.json as { msgtype: string; markdown: { title: string; text: string } };
    if (body.msgtype !== 'markdown' || !body.markdown.title || !body.markdown.text)
      return { body: { errcode: 40035, errmsg: 'missing parameter' } };
    return { body: { errcode: 0, errmsg: 'ok' } };
  };

  it('signs the URL as DingTalk verifies it', async () => {
    const r = await receiver(check);
    const channel = createDingtalkChannel(
      {
        name: 'ding',
        url: `${r.url}/robot/send?access_token=ding-token`,
        secret,
        severities: ['critical'],
      },
      deps,
    );
    await channel.send(notice);
    expect(r.received).toHaveLength(1);
    // The URL's + / = survive: the signature is percent-encoded in the query.
    expect(r.received[0]!.url.search).toMatch(/&sign=[A-Za-z0-9%]+/);
  });

  it('a wrong secret is refused in the body (HTTP 200) and is permanent', async () => {
    const r = await receiver(check);
    const channel = createDingtalkChannel(
      {
        name: 'ding',
        url: `${r.url}/robot/send?access_token=ding-token`,
        secret: 'SECwrong',
        severities: ['critical'],
      },
      deps,
    );
    const err = await channel.send(notice).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Permanent);
    expect((err as Error).message).toContain('310000');
  });
});

describe('Feishu / Lark custom bot with signature verification', () => {
  const secret = 'feishu-secret-xyz';
  it('signs the body as Feishu verifies it', async () => {
    const r = await receiver((req) => {
      // As Feishu documents it: HmacSHA256 keyed with "timestamp\nsecret" over empty data, base64.
      const body = req.json as { timestamp: string; sign: string; msg_type: string };
      const expected = hmac(`${body.timestamp}\n${secret}`, '').digest('base64');
      if (
        !same(body.sign ?? '', expected) ||
        Math.abs(Date.now() / 1000 - Number(body.timestamp)) > 3600
      )
        return {
          body: { code: 19021, msg: 'sign match fail or timestamp is not within one hour' },
        };
      if (body.msg_type !== 'post') return { body: { code: 9499, msg: 'Bad Request' } };
      return { body: { code: 0, msg: 'success', data: {} } };
    });
    const good = createFeishuChannel(
      { name: 'lark', url: `${r.url}/open-apis/bot/v2/hook/tok`, secret, severities: ['critical'] },
      deps,
    );
    await good.send(notice);
    const post = (r.received[0]!.json as { content: { post: { zh_cn: { title: string } } } })
      .content.post.zh_cn;
    expect(post.title).toContain('deployment kgi-1 failed');
    const bad = createFeishuChannel(
      {
        name: 'lark',
        url: `${r.url}/open-apis/bot/v2/hook/tok`,
        secret: 'other',
        severities: ['critical'],
      },
      deps,
    );
    await expect(bad.send(notice)).rejects.toBeInstanceOf(Permanent);
  });
});

describe('e-mail over SMTP', () => {
  async function smtp(options: { refuse?: 'temporary' | 'permanent' } = {}) {
    const mails: Array<{ from: string; to: string[]; data: string; user: string }> = [];
    const server = new SMTPServer({
      authOptional: false,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      onAuth(auth, _session, cb) {
        if (auth.username === 'kgd' && auth.password === 'smtp-pass-1')
          return cb(null, { user: auth.username });
        return cb(new Error('Invalid username or password'));
      },
      onRcptTo(address, _session, cb) {
        if (options.refuse === 'permanent')
          return cb(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
        if (options.refuse === 'temporary')
          return cb(Object.assign(new Error('try again later'), { responseCode: 451 }));
        void address;
        cb();
      },
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            data: Buffer.concat(chunks).toString('utf8'),
            user: String(session.user),
          });
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.server.address() as AddressInfo).port;
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return { port, mails };
  }
  const channelFor = (port: number, password = 'smtp-pass-1') =>
    createEmailChannel({
      name: 'mail',
      smtp: `smtp://kgd:${password}@127.0.0.1:${port}`,
      from: 'kgd@example.com',
      to: ['oncall@example.com', 'lead@example.com'],
      severities: ['critical'],
    });

  it('sends one mail, authenticated, with the summary as subject and the runbook in the text', async () => {
    const s = await smtp();
    const channel = channelFor(s.port);
    await channel.send(notice);
    await channel.close?.();
    expect(s.mails).toHaveLength(1);
    const mail = s.mails[0]!;
    expect(mail.user).toBe('kgd');
    expect(mail.from).toBe('kgd@example.com');
    expect(mail.to).toEqual(['oncall@example.com', 'lead@example.com']);
    expect(mail.data).toMatch(/Subject: .*CRITICAL/);
    expect(mail.data).toContain('X-Kgd-Delivery: notice_01');
    expect(mail.data).toContain('Runbook: kgd deployments show kgi-1');
  });

  it('a 4xx reply is retried, a 5xx reply or a refused login is permanent', async () => {
    const temp = await smtp({ refuse: 'temporary' });
    await expect(channelFor(temp.port).send(notice)).rejects.toBeInstanceOf(Retryable);
    const perm = await smtp({ refuse: 'permanent' });
    await expect(channelFor(perm.port).send(notice)).rejects.toBeInstanceOf(Permanent);
    const login = await smtp();
    await expect(channelFor(login.port, 'wrong').send(notice)).rejects.toBeInstanceOf(Permanent);
    expect([...temp.mails, ...perm.mails, ...login.mails]).toHaveLength(0);
  });
});
