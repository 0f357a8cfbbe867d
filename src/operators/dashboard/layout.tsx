import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { TokenIdentity } from '../auth/tokens.js';
import { liveScript } from './client-script.js';
import { styles } from './styles.js';

const nav = [
  ['deployments', '/dashboard', 'Deployments'],
  ['inbox', '/dashboard/inbox', 'Inbox'],
  ['sweep', '/dashboard/sweep', 'Sweep'],
  ['audit', '/dashboard/audit', 'Audit log'],
] as const;

export interface PageOptions {
  title: string;
  section: (typeof nav)[number][0] | 'login';
  operator?: TokenIdentity | undefined;
  /** Live updates: "*" for any deployment, an instance id, or absent (a form: no refresh). */
  watch?: string | undefined;
  kinds?: string | undefined;
}

function Layout(props: PageOptions & { children: Child; nonce: string | undefined }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title} · kgd</title>
        <style dangerouslySetInnerHTML={{ __html: styles }} />
      </head>
      <body>
        <header>
          <span class="brand">koogallery-deployer</span>
          {props.operator &&
            nav.map(([key, href, label]) => (
              <a href={href} class={props.section === key ? 'on' : ''}>
                {label}
              </a>
            ))}
          {props.operator && (
            <span class="who">
              {props.watch ? <span class="live">connecting</span> : null} {props.operator.name} (
              {props.operator.scope}) ·{' '}
              <form method="post" action="/dashboard/logout" style="display:inline">
                <button type="submit" style="padding:0 6px;font-size:12px">
                  log out
                </button>
              </form>
            </span>
          )}
        </header>
        <main data-watch={props.watch} data-kinds={props.kinds}>
          {props.children}
        </main>
        {props.watch ? (
          <script nonce={props.nonce} dangerouslySetInnerHTML={{ __html: liveScript }} />
        ) : null}
      </body>
    </html>
  );
}

/** Renders a page, or only its `<main>` content when the live-update script asks for it. */
export function render(
  c: Context,
  options: PageOptions,
  content: Child,
  status: 200 | 400 | 403 | 404 | 409 | 503 = 200,
) {
  // biome-ignore lint/complexity/noUselessFragments: c.html takes one element; content may be a list
  if (c.req.header('x-fragment') === '1') return c.html(<>{content}</>, status);
  // The page's one script runs under the nonce of the Content-Security-Policy (secureHeaders).
  const nonce = (c.var as { secureHeadersNonce?: string }).secureHeadersNonce;
  return c.html(
    <Layout {...options} nonce={nonce}>
      {content}
    </Layout>,
    status,
  );
}

export const Badge = (p: { status: string }) => (
  <span class={`badge s-${p.status}`}>{p.status.replace('_', ' ')}</span>
);

/** `2026-03-01 03:12:05` UTC. */
export const when = (iso: string | null | undefined) =>
  iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : '–';

export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(1)} s`;
  return `${Math.floor(v / 60_000)} min ${Math.round((v % 60_000) / 1000)} s`;
}
