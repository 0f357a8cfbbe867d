import { Hono } from 'hono';
import { actionCode } from '../../platform/errors.js';
import { satisfies, verifyToken } from '../auth/tokens.js';
import { listAudit } from '../queries/audit.js';
import { deploymentDetail } from '../queries/deployment-detail.js';
import { type DeploymentFilters, listDeployments } from '../queries/deployments.js';
import { listInbox } from '../queries/inbox.js';
import { registerDashboardActions } from './dashboard-actions.js';
import { registerEvents } from './events.js';
import { render } from './layout.js';
import { AuditPage } from './pages/audit-page.js';
import { DeploymentPage } from './pages/deployment-page.js';
import { DeploymentsPage } from './pages/deployments-page.js';
import { InboxPage } from './pages/inbox-page.js';
import { LoginPage } from './pages/login-page.js';
import { SweepPage } from './pages/sweep-page.js';
import {
  checkLoginToken,
  type DashboardEnv,
  endSession,
  issueLoginToken,
  readForm,
  requireSession,
  startSession,
} from './session.js';

export type { DashboardDeps } from './dashboard-deps.js';

import type { DashboardDeps } from './dashboard-deps.js';

const flashes: Record<string, (from: string | undefined) => string> = {
  rerun: (from) => `Rerun started${from ? ` from ${from}` : ''}: this page updates as it runs.`,
  cancel: () => 'Cancel requested: the operation stops at its next step.',
  'retry-cleanup': (from) => `Cleanup rerun started${from ? ` from ${from}` : ''}.`,
  release: () => 'Release recorded: the deployment is being torn down.',
};

/** Only paths of the dashboard itself: never an open redirect. */
const safeNext = (next: unknown) =>
  typeof next === 'string' && /^\/dashboard(\/|\?|$)/.test(next) && !next.startsWith('//')
    ? next
    : '/dashboard';

/**
 * The operators' dashboard at `/dashboard`: server-rendered pages (Hono JSX) for deployments
 * with filters and counts, a deployment's step timeline, log and errors with Rerun / Cancel /
 * Retry cleanup / Release behind a confirmation, the inbox, the sweep and the audit log; live
 * updates over SSE. Login with an API token opens a server-side session (its random id in an
 * HttpOnly, SameSite=Strict cookie).
 *
 * @example
 *   registerDashboard(app, { db, clock, logger, service, steps, feed });
 */
export function registerDashboard(app: Hono, deps: DashboardDeps): void {
  const d = new Hono<DashboardEnv>();
  const opts = (c: { var: DashboardEnv['Variables'] }) => ({ operator: c.var.operator });

  d.get('/login', (c) =>
    render(
      c,
      { title: 'Login', section: 'login' },
      <LoginPage next={safeNext(c.req.query('next'))} csrf={issueLoginToken(c, deps.sessions)} />,
    ),
  );
  d.post('/login', async (c) => {
    const form = await readForm(c);
    const again = (error: string) =>
      render(
        c,
        { title: 'Login', section: 'login' },
        <LoginPage
          next={safeNext(form.next)}
          csrf={issueLoginToken(c, deps.sessions)}
          error={error}
        />,
        403,
      );
    if (!checkLoginToken(c, form.csrf))
      return again('This login form expired or did not come from this dashboard: try again.');
    const token = typeof form.token === 'string' ? form.token.trim() : '';
    const who = await verifyToken(deps.db, deps.clock, token);
    if (!who) return again('This token is not valid (unknown, revoked, expired or mistyped).');
    await startSession(c, deps, who);
    return c.redirect(safeNext(form.next), 303);
  });
  d.post('/logout', async (c) => {
    await endSession(c, deps);
    return c.redirect('/dashboard/login', 303);
  });

  d.use('/events', requireSession(deps, { api: true }));
  registerEvents(d, deps.feed);
  d.use('*', requireSession(deps));

  d.get('/', async (c) => {
    const filters: DeploymentFilters = {
      status: c.req.query('status') || undefined,
      product: c.req.query('product') || undefined,
      customer: c.req.query('customer') || undefined,
      since: c.req.query('since') || undefined,
      limit: 200,
    };
    const page = { title: 'Deployments', section: 'deployments' as const, watch: '*', ...opts(c) };
    try {
      const list = await listDeployments(deps.db, filters, deps.clock.now());
      return render(c, page, <DeploymentsPage list={list} filters={filters} />);
    } catch (err) {
      if (!actionCode(err)) throw err;
      const list = await listDeployments(deps.db, { limit: 200 }, deps.clock.now());
      return render(
        c,
        page,
        <DeploymentsPage list={list} filters={{}} error={(err as Error).message} />,
        400,
      );
    }
  });

  d.get('/d/:id', async (c) => {
    const id = c.req.param('id');
    const detail = await deploymentDetail(deps, id, deps.clock.now(), { tail: 200 });
    const done = c.req.query('done');
    const flash = done && flashes[done] ? flashes[done](c.req.query('from')) : undefined;
    return render(
      c,
      { title: id, section: 'deployments', watch: detail.deployment.id, ...opts(c) },
      <DeploymentPage
        detail={detail}
        canOperate={satisfies(c.var.operator.scope, 'operate')}
        flash={flash}
      />,
    );
  });

  d.get('/inbox', async (c) => {
    const activity = c.req.query('activity') || undefined;
    const items = await listInbox(deps.db, { activity, limit: 200 }, deps.clock.now());
    return render(
      c,
      { title: 'Inbox', section: 'inbox', watch: '*', kinds: 'inbox', ...opts(c) },
      <InboxPage
        items={items}
        activity={activity}
        canOperate={satisfies(c.var.operator.scope, 'operate')}
        csrf={c.var.csrf}
      />,
    );
  });

  d.get('/sweep', async (c) => {
    const page = { title: 'Sweep', section: 'sweep' as const, ...opts(c) };
    const canOperate = satisfies(c.var.operator.scope, 'operate');
    try {
      const items = await deps.service.sweepScan();
      return render(c, page, <SweepPage items={items} canOperate={canOperate} csrf={c.var.csrf} />);
    } catch (err) {
      if (!actionCode(err)) throw err;
      return render(
        c,
        page,
        <SweepPage error={(err as Error).message} canOperate={canOperate} csrf={c.var.csrf} />,
        503,
      );
    }
  });

  d.get('/audit', async (c) => {
    const target = c.req.query('target') || undefined;
    const items = await listAudit(deps.db, { target, limit: 200 }, deps.clock.now());
    return render(
      c,
      { title: 'Audit log', section: 'audit', watch: '*', kinds: 'audit', ...opts(c) },
      <AuditPage items={items} target={target} />,
    );
  });

  registerDashboardActions(d, deps);

  d.onError((err, c) => {
    const code = actionCode(err);
    if (!code) {
      deps.logger.error({ err: err.message, path: c.req.path }, 'dashboard request failed');
      return c.text('internal error (see the service log)', 500);
    }
    const status =
      code === 'NOT_FOUND' ? 404 : code === 'CONFLICT' ? 409 : code === 'UNAVAILABLE' ? 503 : 400;
    return render(
      c,
      { title: 'Problem', section: 'deployments', operator: c.var.operator },
      <p class="problem">{err.message}</p>,
      status,
    );
  });
  app.route('/dashboard', d);
}
