import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { guardSurface } from './surface-limits.js';

const producePath = '/koogallery/produce';

/** A surface with the guards and echo routes standing in for the real ones. */
function surface(perMinute = { login: 3, status: 5, metrics: 2 }) {
  const app = new Hono();
  guardSurface(app, { producePath, limits: { operatorBodyBytes: 1024, perMinute } });
  const echo = async (c: import('hono').Context) =>
    c.text(`read ${(await c.req.arrayBuffer()).byteLength}`);
  app.post(producePath, echo);
  app.post('/admin/things', echo);
  app.post('/dashboard/login', echo);
  app.get('/dashboard/login', (c) => c.text('form'));
  app.get('/i/:id', (c) => c.text('status'));
  app.get('/metrics', (c) => c.text('metrics'));
  app.get('/healthz', (c) => c.text('ok'));
  return app;
}

const post = (app: Hono, path: string, bytes: number, chunked = false) =>
  app.request(path, {
    method: 'POST',
    body: chunked
      ? new ReadableStream({
          start(controller) {
            for (let i = 0; i < bytes; i += 512) controller.enqueue(new Uint8Array(512));
            controller.close();
          },
        })
      : new Uint8Array(bytes),
    ...(chunked ? { duplex: 'half' } : {}),
  } as RequestInit);

describe('body limits', () => {
  it('refuses an operator body over the limit, declared or streamed, with 413', async () => {
    const app = surface();
    expect(await (await post(app, '/admin/things', 1024)).text()).toBe('read 1024');
    const declared = await post(app, '/admin/things', 2 * 1024 * 1024);
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect((await post(app, '/admin/things', 4096, true)).status).toBe(413);
  });

  it('leaves the production endpoint to its own limit (KGD_MAX_BODY_BYTES)', async () => {
    const app = surface();
    expect(await (await post(app, producePath, 4096)).text()).toBe('read 4096');
  });
});

describe('hostile text', () => {
  it('refuses a NUL in the path or query with 400 before any route, not on the production endpoint', async () => {
    const app = surface();
    for (const path of ['/i/a%00b', '/metrics?x=%00', '/i/%00'])
      expect([path, (await app.request(path)).status]).toEqual([path, 400]);
    expect((await app.request('/i/kgi-1')).status).toBe(200);
    expect((await post(app, `${producePath}?a=%00`, 10)).status).toBe(200);
  });
});

describe('rate limits per client address', () => {
  it('login attempts: POSTs only, 429 past the limit with Retry-After', async () => {
    const app = surface();
    for (let i = 0; i < 3; i++) expect((await post(app, '/dashboard/login', 10)).status).toBe(200);
    const refused = await post(app, '/dashboard/login', 10);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(await refused.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    // Showing the form is not an attempt.
    expect((await app.request('/dashboard/login')).status).toBe(200);
  });

  it('status pages and /metrics each have their own budget; health has none', async () => {
    const app = surface();
    for (let i = 0; i < 5; i++) expect((await app.request(`/i/kgi-${i}`)).status).toBe(200);
    expect((await app.request('/i/kgi-x')).status).toBe(429);
    expect((await app.request('/metrics')).status).toBe(200);
    expect((await app.request('/metrics')).status).toBe(200);
    expect((await app.request('/metrics')).status).toBe(429);
    for (let i = 0; i < 20; i++) expect((await app.request('/healthz')).status).toBe(200);
  });

  it('counts each address apart', async () => {
    const app = surface();
    const from = (address: string) =>
      app.request('/metrics', {}, { incoming: { socket: { remoteAddress: address } } });
    expect((await from('203.0.113.1')).status).toBe(200);
    expect((await from('203.0.113.1')).status).toBe(200);
    expect((await from('203.0.113.1')).status).toBe(429);
    expect((await from('203.0.113.2')).status).toBe(200);
  });
});

describe('security headers', () => {
  it('every answer carries CSP, no framing, nosniff and no referrer', async () => {
    const app = surface();
    for (const path of ['/healthz', '/i/kgi-1', '/dashboard/login', '/nowhere']) {
      const res = await app.request(path);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toMatch(/script-src 'nonce-/);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });
});
