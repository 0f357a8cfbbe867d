import type { Context, Hono } from 'hono';
import { overrideKeys } from '../../deployments/model/overrides.js';
import { actionCode } from '../../platform/errors.js';
import { satisfies } from '../auth/tokens.js';
import { deploymentDetail } from '../queries/deployment-detail.js';
import { listInbox } from '../queries/inbox.js';
import type { DashboardDeps } from './dashboard-deps.js';
import { render } from './layout.js';
import { type ActionName, ConfirmPage, type ConfirmValues } from './pages/confirm-page.js';
import { InboxPage } from './pages/inbox-page.js';
import { SweepPage } from './pages/sweep-page.js';
import { checkCsrf, type DashboardEnv, readForm } from './session.js';

const actions: ActionName[] = ['rerun', 'cancel', 'retry-cleanup', 'release'];
const field = (form: Record<string, unknown>, k: string) =>
  typeof form[k] === 'string' ? (form[k] as string).trim() : '';

/** Operate scope and a form posted by a dashboard page; otherwise the answer to send. */
function refuse(c: Context<DashboardEnv>, form?: Record<string, unknown>) {
  if (!satisfies(c.var.operator.scope, 'operate'))
    return render(
      c,
      { title: 'Forbidden', section: 'deployments', operator: c.var.operator },
      <p class="problem">Token {c.var.operator.name} has the read scope: actions need operate.</p>,
      403,
    );
  if (form && !checkCsrf(c, form.csrf))
    return render(
      c,
      { title: 'Forbidden', section: 'deployments', operator: c.var.operator },
      <p class="problem">
        This form is stale or did not come from the dashboard: reload the page and try again.
      </p>,
      403,
    );
  return undefined;
}

/** The confirmation pages and the POSTs behind the action buttons; each change is audited. */
export function registerDashboardActions(d: Hono<DashboardEnv>, deps: DashboardDeps): void {
  const confirmPage = async (
    c: Context<DashboardEnv>,
    action: ActionName,
    extra: { error?: string; values?: ConfirmValues } = {},
    status: 200 | 400 | 409 | 404 = 200,
  ) => {
    const detail = await deploymentDetail(deps, c.req.param('id')!, deps.clock.now(), { tail: 1 });
    return render(
      c,
      {
        title: `${action} ${detail.deployment.id}`,
        section: 'deployments',
        operator: c.var.operator,
      },
      <ConfirmPage action={action} detail={detail} csrf={c.var.csrf} {...extra} />,
      status,
    );
  };

  d.get('/d/:id/:action', async (c) => {
    const action = c.req.param('action') as ActionName;
    if (!actions.includes(action)) return c.notFound();
    return refuse(c) ?? confirmPage(c, action);
  });

  d.post('/d/:id/:action', async (c) => {
    const action = c.req.param('action') as ActionName;
    if (!actions.includes(action)) return c.notFound();
    const form = await readForm(c);
    const denied = refuse(c, form);
    if (denied) return denied;
    const id = c.req.param('id');
    const values: ConfirmValues = {};
    for (const k of ['reason', 'from', ...overrideKeys] as const) values[k] = field(form, k);
    const who = { reason: values.reason ?? '', actor: c.var.operator.name };
    try {
      let from: string | undefined;
      if (action === 'rerun') {
        const { reason: _, from: rerunFrom, ...overrides } = values;
        const r = await deps.service.rerun(id, { ...who, from: rerunFrom, overrides });
        from = r.from;
      } else if (action === 'cancel') await deps.service.cancel(id, who);
      else if (action === 'retry-cleanup') from = (await deps.service.retryCleanup(id, who)).from;
      else await deps.service.release(id, who);
      const instanceId = (await deploymentDetail(deps, id, deps.clock.now(), { tail: 1 }))
        .deployment.id;
      const q = new URLSearchParams({ done: action, ...(from ? { from } : {}) });
      return c.redirect(`/dashboard/d/${encodeURIComponent(instanceId)}?${q}`, 303);
    } catch (err) {
      const code = actionCode(err);
      if (!code || code === 'NOT_FOUND') throw err;
      return confirmPage(
        c,
        action,
        { error: (err as Error).message, values },
        code === 'CONFLICT' ? 409 : 400,
      );
    }
  });

  d.post('/inbox/:id/replay', async (c) => {
    const form = await readForm(c);
    const denied = refuse(c, form);
    if (denied) return denied;
    const page = { title: 'Inbox', section: 'inbox' as const, operator: c.var.operator };
    const items = () => listInbox(deps.db, { limit: 200 }, deps.clock.now());
    try {
      const replay = await deps.service.replayInbox(c.req.param('id'), {
        reason: field(form, 'reason'),
        actor: c.var.operator.name,
      });
      return render(
        c,
        page,
        <InboxPage items={await items()} canOperate csrf={c.var.csrf} replay={replay} />,
      );
    } catch (err) {
      if (!actionCode(err)) throw err;
      return render(
        c,
        page,
        <InboxPage
          items={await items()}
          canOperate
          csrf={c.var.csrf}
          error={(err as Error).message}
        />,
        400,
      );
    }
  });

  d.post('/sweep/delete', async (c) => {
    const form = await readForm(c, { all: true });
    const denied = refuse(c, form);
    if (denied) return denied;
    const page = { title: 'Sweep', section: 'sweep' as const, operator: c.var.operator };
    const raw = form.instanceIds;
    const instanceIds = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter(
      (x): x is string => typeof x === 'string',
    );
    if (form.confirm !== 'yes' || instanceIds.length === 0)
      return render(
        c,
        page,
        <SweepPage
          items={await deps.service.sweepScan()}
          error="Select resources and tick the confirmation box."
          canOperate
          csrf={c.var.csrf}
        />,
        400,
      );
    try {
      const deleted = await deps.service.sweepDelete({
        reason: field(form, 'reason'),
        actor: c.var.operator.name,
        instanceIds,
      });
      return render(
        c,
        page,
        <SweepPage
          items={await deps.service.sweepScan()}
          deleted={deleted}
          canOperate
          csrf={c.var.csrf}
        />,
      );
    } catch (err) {
      if (!actionCode(err)) throw err;
      return render(
        c,
        page,
        <SweepPage error={(err as Error).message} canOperate csrf={c.var.csrf} />,
        400,
      );
    }
  });
}
