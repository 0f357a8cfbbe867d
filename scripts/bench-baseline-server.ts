// The benchmark's baseline: a bare Hono route answering a constant, Body-Signed body.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { bodySignHeader } from '../src/marketplace/protocol/signatures.js';

const [port, key] = [Number(process.argv[2]), process.argv[3]!];
const body = JSON.stringify({ resultCode: '000000', resultMsg: 'success' });
const app = new Hono();
app.get('/healthz', (c) => c.json({ status: 'ok' }));
app.post('/koogallery/produce', async (c) => {
  await c.req.arrayBuffer(); // read the body, as the service does
  return c.body(body, 200, {
    'content-type': 'application/json;charset=UTF-8',
    'Body-Sign': bodySignHeader(key, body),
  });
});
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
