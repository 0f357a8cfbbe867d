import type { Hono } from 'hono';
import { html } from 'hono/html';
import type { Db } from '../platform/db/database.js';
import type { Instance } from '../platform/db/schema.js';

/**
 * The buyer's status page, `KGD_PUBLIC_URL/i/<instanceId>`: the stable front-end URL handed out
 * in the newInstance answer. It shows the deployment's state and, once ready, where the
 * application is. It never shows secrets or the buyer's personal data.
 */
const headline: Record<string, string> = {
  pending: 'Your deployment is queued',
  deploying: 'Your deployment is being prepared',
  ready: 'Your deployment is ready',
  frozen: 'Your deployment is frozen',
  failed: 'Your deployment needs attention',
  releasing: 'Your deployment is being released',
  released: 'Your deployment has been released',
};

/**
 * What a buyer may see of a state. Every failure is one state with one text, whatever its cause:
 * a buyer who names a server must not learn from this page which addresses answer (a refused
 * address, a closed port and a failed hook all read the same); a failed cleanup is the seller's
 * matter and reads as the release still going on.
 */
function publicStatus(inst: Instance): string {
  if (inst.frozen && inst.status === 'ready') return 'frozen';
  if (inst.status === 'cleanup_failed') return 'releasing';
  return inst.status;
}

function publicView(inst: Instance) {
  const status = publicStatus(inst);
  return {
    instanceId: inst.id,
    status,
    headline: headline[status] ?? status,
    productId: inst.product_id,
    skuCode: inst.sku_code,
    test: inst.test,
    createdAt: new Date(inst.created_at).toISOString(),
    readyAt: inst.ready_at ? new Date(inst.ready_at).toISOString() : null,
    expiresAt: inst.expires_at ? new Date(inst.expires_at).toISOString() : null,
    applicationUrl: status === 'ready' ? inst.front_end_url : null,
    adminUrl: status === 'ready' ? inst.admin_url : null,
  };
}

export function registerStatusPage(app: Hono, deps: { db: Db }): void {
  app.get('/i/:instanceId', async (c) => {
    const id = c.req.param('instanceId');
    const inst =
      id.length <= 64
        ? await deps.db.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirst()
        : undefined;
    const wantsJson =
      c.req.query('format') === 'json' ||
      (c.req.header('accept') ?? '').startsWith('application/json');
    if (!inst) {
      return wantsJson
        ? c.json({ error: { code: 'NOT_FOUND', message: 'no such deployment' } }, 404)
        : c.html(
            page('Deployment not found', html`<p>No deployment has this address.</p>`, false),
            404,
          );
    }
    const view = publicView(inst);
    if (wantsJson) return c.json(view);
    const working =
      view.status === 'pending' || view.status === 'deploying' || view.status === 'releasing';
    const body = html`
      <p class="status ${view.status}">${view.headline}</p>
      <dl>
        <dt>Deployment</dt><dd>${view.instanceId}</dd>
        ${view.productId ? html`<dt>Product</dt><dd>${view.productId}${view.skuCode ? ` / ${view.skuCode}` : ''}</dd>` : ''}
        ${view.expiresAt ? html`<dt>Valid until</dt><dd>${view.expiresAt}</dd>` : ''}
        ${view.readyAt ? html`<dt>Ready since</dt><dd>${view.readyAt}</dd>` : ''}
      </dl>
      ${view.applicationUrl ? html`<p><a href="${view.applicationUrl}">Open your application</a></p>` : ''}
      ${view.adminUrl ? html`<p><a href="${view.adminUrl}">Administration</a></p>` : ''}
      ${working ? html`<p class="hint">This page refreshes by itself.</p>` : ''}
      ${view.test ? html`<p class="hint">Test order from the seller console.</p>` : ''}`;
    return c.html(page(view.headline, body, working));
  });
}

function page(title: string, body: unknown, refresh: boolean) {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
${refresh ? html`<meta http-equiv="refresh" content="10">` : ''}
<title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}
.status{font-size:1.4rem;font-weight:600}.ready{color:#1a7f37}.failed{color:#b42318}
dt{font-weight:600;margin-top:.5rem}dd{margin:0}.hint{color:#666;font-size:.9rem}</style></head>
<body><h1>${title}</h1>${body}</body></html>`;
}
