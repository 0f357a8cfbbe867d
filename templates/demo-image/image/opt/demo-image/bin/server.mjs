// The demo product: a small web app that runs only with a valid license.
//   GET /         the licensee, product, plan, limits and expiry (503 once the license is invalid)
//   GET /healthz  200 {"status":"ok","license":...} while licensed, 503 with the reason otherwise
//   GET /admin    HTTP basic auth with KGD_ADMIN_USER / KGD_ADMIN_PASSWORD from .kgd/env
// The license is re-read and re-verified on every request, so a renewal (a new license file) or an
// expiry takes effect without a restart. Settings come from the environment the hooks source.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { checkInstalledLicense, daysLeft } from './license.mjs';

const app = JSON.parse(readFileSync(new URL('./app.json', import.meta.url), 'utf8'));
const port = Number(process.env.KGD_DEMO_PORT || app.defaultPort);
const host = process.env.KGD_DEMO_HOST || '0.0.0.0';
const startedAt = new Date();

function log(message) {
  console.log(`${new Date().toISOString()} ${app.name}: ${message}`);
}

function escapeHtml(value) {
  return String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
}

function formatDate(iso) {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : '';
}

function page(title, body) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;margin:3em auto;max-width:40em}th{text-align:left;padding-right:2em}
.warn{color:#a40}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>
`;
}

function rows(entries) {
  return `<table>${entries
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join('')}</table>`;
}

function expiryText(license) {
  const days = daysLeft(license);
  if (days === null) return 'never (perpetual license)';
  return `${formatDate(license.expiresAt)} (${days} ${days === 1 ? 'day' : 'days'} left)`;
}

function homePage(license) {
  const licensee = license.licensee.customerName ?? license.licensee.customerId ?? 'unknown';
  const limits = Object.entries(license.limits ?? {}).map(([k, v]) => [`Limit: ${k}`, v]);
  return page(
    app.title,
    `<p>Licensed to <strong>${escapeHtml(licensee)}</strong></p>
${rows([
  ['Product', license.productId ?? process.env.KGD_PRODUCT ?? ''],
  ['Plan', license.skuCode ?? process.env.KGD_SKU ?? ''],
  ['Expires', expiryText(license)],
  ...limits,
])}
${license.test ? '<p class="warn">Test order: this deployment is for the seller\'s checks.</p>' : ''}`,
  );
}

function adminPage(license) {
  return page(
    `${app.title}: administration`,
    rows([
      ['Signed in as', process.env.KGD_ADMIN_USER],
      ['Instance', license.instanceId],
      ['License', license.id],
      ['Order', license.orderId ?? ''],
      ['Issued', formatDate(license.issuedAt)],
      ['Valid from', formatDate(license.notBefore)],
      ['Expires', expiryText(license)],
      ['Bound to server', license.boundTo?.serverId ?? ''],
      ['Running since', formatDate(startedAt.toISOString())],
    ]),
  );
}

// Compares digests of equal length so the time taken does not reveal how much of a guess matched.
function sameSecret(given, expected) {
  const digest = (s) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function isAdmin(req) {
  const user = process.env.KGD_ADMIN_USER;
  const password = process.env.KGD_ADMIN_PASSWORD;
  if (!user || !password) return false;
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? '');
  if (!match) return false;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const userOk = sameSecret(decoded.slice(0, colon), user);
  const passwordOk = sameSecret(decoded.slice(colon + 1), password);
  return userOk && passwordOk;
}

function send(req, res, status, type, body, headers = {}) {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function handle(req, res) {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return send(req, res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', {
      allow: 'GET, HEAD',
    });
  }
  const check = checkInstalledLicense();
  if (path === '/healthz') {
    const body = check.ok
      ? {
          status: 'ok',
          license: check.license.id,
          expiresAt: check.license.expiresAt,
          daysLeft: daysLeft(check.license),
        }
      : { status: 'unlicensed', reason: check.reason };
    return send(req, res, check.ok ? 200 : 503, 'application/json', `${JSON.stringify(body)}\n`);
  }
  if (path !== '/' && path !== '/admin') {
    return send(req, res, 404, 'text/plain; charset=utf-8', 'not found\n');
  }
  if (!check.ok) {
    const body = page(app.title, `<p class="warn">Not licensed: ${escapeHtml(check.reason)}</p>`);
    return send(req, res, 503, 'text/html; charset=utf-8', body);
  }
  if (path === '/') return send(req, res, 200, 'text/html; charset=utf-8', homePage(check.license));
  if (!isAdmin(req)) {
    return send(req, res, 401, 'text/plain; charset=utf-8', 'sign in as the admin user\n', {
      'www-authenticate': `Basic realm="${app.name}", charset="UTF-8"`,
    });
  }
  return send(req, res, 200, 'text/html; charset=utf-8', adminPage(check.license));
}

const first = checkInstalledLicense();
if (!first.ok) {
  log(`refusing to start: ${first.reason}`);
  process.exit(1);
}

const server = http.createServer(handle);
server.on('error', (err) => {
  log(`cannot listen on ${host}:${port}: ${err.message}`);
  process.exit(1);
});
server.listen(port, host, () => {
  log(`listening on ${host}:${port} with license ${first.license.id} (pid ${process.pid})`);
});

function shutdown(signal) {
  log(`${signal} received: stopping`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
