import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort, type KgdProcess, serveKgd } from '../support/kgd-process.js';
import { readAnswer, v1Request, v2Request } from '../support/marketplace-calls.js';

/**
 * Oversized calls through Node's own HTTP server (an in-process app.request never meets its
 * limits): each gets a signed 000002 or 000001, never a dropped connection or a bare 431.
 */
const KEY = 'wire-test-key-0001';
let db: TestDatabase;
let svc: KgdProcess & { url: string };
let produce: string;

beforeAll(async () => {
  db = await createTestDatabase();
  svc = await serveKgd(
    {
      DATABASE_URL: db.url,
      KGD_MASTER_KEY: randomBytes(32).toString('base64'),
      KGD_MARKETPLACE_KEYS: KEY,
      KGD_DATA_DIR: `/tmp/kgd-wire-${randomBytes(4).toString('hex')}`,
      KGD_PUBLIC_URL: 'https://deploy.example.com',
      KGD_LOG_LEVEL: 'warn',
    },
    await freePort(),
  );
  produce = `${svc.url}/koogallery/produce`;
});
afterAll(async () => {
  await svc?.stop();
  await db?.drop();
});

describe('kgd serve on the wire', () => {
  it('answers a chunked V2 body over the limit 000002 and keeps the connection usable', async () => {
    const big = JSON.stringify({ activity: 'newInstance', pad: 'z'.repeat(70 * 1024) });
    const chunks = [big.slice(0, 30_000), big.slice(30_000, 60_000), big.slice(60_000)];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(new TextEncoder().encode(next));
        else controller.close();
      },
    });
    const res = await fetch(`${produce}?signature=x&timestamp=1&nonce=n`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    const a = await readAnswer(res, KEY);
    expect(a.status).toBe(200);
    expect(a.body.resultCode).toBe('000002');
    expect(a.body.resultMsg).toMatch(/body over 65536 bytes/);
    expect(a.bodySignValid).toBe(true);
  });

  it('takes a signed V1 query between 16 KB and the limit, and refuses one over it with 000002', async () => {
    const padded = await readAnswer(
      await fetch(
        v1Request(
          produce,
          { activity: 'queryInstance', instanceId: 'kgi-none', extra: 'z'.repeat(20_000) },
          KEY,
          new Date(),
        ),
      ),
      KEY,
    );
    expect(padded.status).toBe(200);
    expect(padded.bodySignValid).toBe(true);
    expect(padded.body.resultCode).not.toBe('000005');

    const res = await fetch(`${produce}?activity=expireInstance&x=${'z'.repeat(70 * 1024)}`);
    const over = await readAnswer(res, KEY);
    expect(over.status).toBe(200);
    expect(over.body.resultCode).toBe('000002');
    expect(over.body.resultMsg).toMatch(/query string over/);
  });

  it('answers a V2 purchase carrying a NUL character 000002 over the wire', async () => {
    const a = await readAnswer(
      await fetch(
        v2Request(
          produce,
          { activity: 'newInstance', orderId: 'a\u0000b', orderLineId: 'l', businessId: 'b' },
          KEY,
          new Date(),
        ),
      ),
      KEY,
    );
    expect(a.body.resultCode).toBe('000002');
    expect(a.body.resultMsg).toMatch(/orderId: contains a NUL character/);
  });
});
