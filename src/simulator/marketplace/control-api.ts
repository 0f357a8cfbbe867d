import type { Context, Hono } from 'hono';
import type { Logger } from '../../platform/logger.js';
import {
  type CallOptionsBody,
  callOptionsSchema,
  licenseEventSchema,
  querySchema,
  rawCallSchema,
  releaseSchema,
  renewSchema,
  upgradeSchema,
  uploadFaultsSchema,
} from './control-schemas.js';
import { InputError, parseInput } from './input-error.js';
import type { LicenseUpload, UploadFault } from './license-upload-api.js';
import type { OrderQueryRecord } from './order-query-api.js';
import { toOrderInfo } from './order-query-api.js';
import { type MarketplaceScenario, NotFoundError, type Started } from './scenario.js';
import { describeConfig, type SimConfig } from './sim-config.js';
import { instanceView, startedView } from './views.js';

/**
 * The simulator's control API under `/sim/marketplace` (JSON): configure, buy, act on instances,
 * read orders, instances, operations and the ledger. `kgd marketplace ...` is a thin client of it.
 */

const controlPrefix = '/sim/marketplace';

export interface ControlDeps {
  scenario: MarketplaceScenario;
  config(): SimConfig;
  configure(patch: unknown): SimConfig;
  orderQueries(): OrderQueryRecord[];
  licenseUploads(): LicenseUpload[];
  failUploads(...faults: UploadFault[]): void;
  reset(): void;
  logger?: Logger;
}

async function readJson(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (!text.trim()) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {}
  throw new InputError([{ field: '(body)', message: 'expected a JSON object' }]);
}

function failure(c: Context, err: unknown) {
  if (err instanceof InputError) {
    return c.json(
      { error: { code: 'invalid_request', message: err.message, issues: err.issues } },
      400,
    );
  }
  if (err instanceof NotFoundError) {
    return c.json({ error: { code: 'not_found', message: err.message } }, 404);
  }
  throw err;
}

/** Waits for a milestone, but never longer than `timeoutMs` of real time. */
async function settle(started: Started & { eventId?: string }, opts: CallOptionsBody) {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    started.operation.wait(opts.wait),
    new Promise<void>((r) => {
      timer = setTimeout(r, opts.waitTimeoutMs);
    }),
  ]);
  clearTimeout(timer);
  return {
    ...startedView(started),
    ...(started.eventId === undefined ? {} : { eventId: started.eventId }),
  };
}

/**
 * @example
 *   registerControlApi(app, { scenario, config, configure, orderQueries, reset, logger });
 *   // POST /sim/marketplace/orders {"productId":"p","skuCode":"s","wait":"done"}
 */
export function registerControlApi(app: Hono, deps: ControlDeps): void {
  const p = controlPrefix;
  const sim = deps.scenario;

  /** One action: parse the body, start the operation, answer once the chosen milestone passed. */
  const action = (
    path: string,
    start: (
      body: Record<string, unknown>,
      opts: CallOptionsBody,
      id: string,
    ) => Started & { eventId?: string },
  ) =>
    app.post(path, async (c) => {
      try {
        const body = await readJson(c);
        const opts = parseInput(callOptionsSchema, body);
        const started = start(body, opts, c.req.param('id') ?? '');
        deps.logger?.info(
          { operation: started.operation.view.id, kind: started.operation.view.kind },
          'marketplace operation started',
        );
        return c.json(await settle(started, opts));
      } catch (err) {
        return failure(c, err);
      }
    });

  app.get(`${p}/config`, (c) => c.json(describeConfig(deps.config())));
  app.patch(`${p}/config`, async (c) => {
    try {
      return c.json(describeConfig(deps.configure(await readJson(c))));
    } catch (err) {
      return failure(c, err);
    }
  });
  app.post(`${p}/reset`, (c) => {
    deps.reset();
    return c.json({ ok: true });
  });

  action(`${p}/orders`, (body, opts) =>
    typeof body.mockOrderId === 'string'
      ? sim.buy({ mockOrderId: body.mockOrderId }, opts)
      : sim.buy(body as never, opts),
  );
  action(`${p}/license`, (body, opts) => sim.license(body as never, opts));
  action(`${p}/calls`, (body, opts) => sim.raw(parseInput(rawCallSchema, body), opts));
  action(`${p}/orders/:id/notify`, (_b, opts, id) => sim.notify(id, opts));
  action(`${p}/instances/:id/renew`, (b, opts, id) => {
    const { scene, ...change } = parseInput(renewSchema, b);
    return sim.renew(id, change, { ...opts, scene });
  });
  action(`${p}/instances/:id/upgrade`, (b, opts, id) =>
    sim.upgrade(id, parseInput(upgradeSchema, b), opts),
  );
  action(`${p}/instances/:id/release`, (b, opts, id) =>
    sim.release(id, { ...opts, ...parseInput(releaseSchema, b) }),
  );
  action(`${p}/instances/:id/expire`, (_b, opts, id) => sim.expire(id, opts));
  action(`${p}/instances/:id/freeze`, (_b, opts, id) => sim.freeze(id, opts));
  action(`${p}/instances/:id/unfreeze`, (_b, opts, id) => sim.unfreeze(id, opts));
  // getLicenseAsync: the buyer's client asks for a license (spec §7.1).
  action(`${p}/instances/:id/license-events`, (b, opts, id) =>
    sim.requestLicense(id, parseInput(licenseEventSchema, b), opts),
  );
  app.get(`${p}/license-uploads`, (c) => {
    const eventId = c.req.query('eventId');
    const uploads = deps.licenseUploads().filter((u) => !eventId || u.eventId === eventId);
    return c.json({ uploads });
  });
  app.post(`${p}/license-uploads/faults`, async (c) => {
    try {
      const { faults } = parseInput(uploadFaultsSchema, await readJson(c));
      deps.failUploads(...faults);
      return c.json({ ok: true, faults: faults.length });
    } catch (err) {
      return failure(c, err);
    }
  });
  action(`${p}/instances/:id/query`, (b, opts, id) =>
    sim.query([id, ...parseInput(querySchema, b).also], opts),
  );

  app.get(`${p}/orders`, (c) =>
    c.json({
      orders: sim.orders
        .list()
        .map((o) => ({ ...toOrderInfo(o), cancelled: o.cancelled ?? false })),
    }),
  );
  app.get(`${p}/orders/:id`, (c) => {
    const o = sim.orders.get(c.req.param('id'));
    if (!o)
      return c.json(
        { error: { code: 'not_found', message: `no order ${c.req.param('id')}` } },
        404,
      );
    return c.json({ ...toOrderInfo(o), cancelled: o.cancelled ?? false });
  });
  app.get(`${p}/instances`, (c) => c.json({ instances: sim.instances.list().map(instanceView) }));
  app.get(`${p}/instances/:id`, (c) => {
    const inst = sim.instances.find(c.req.param('id'));
    if (!inst)
      return c.json(
        { error: { code: 'not_found', message: `no instance ${c.req.param('id')}` } },
        404,
      );
    return c.json(instanceView(inst));
  });
  app.get(`${p}/operations`, (c) => c.json({ operations: sim.operations.list() }));
  app.get(`${p}/operations/:id`, (c) => {
    const op = sim.operations.get(c.req.param('id'));
    if (!op)
      return c.json(
        { error: { code: 'not_found', message: `no operation ${c.req.param('id')}` } },
        404,
      );
    return c.json(op.view);
  });
  app.get(`${p}/ledger`, (c) => {
    const since = Number(c.req.query('since') ?? 0);
    if (!Number.isInteger(since) || since < 0) {
      return failure(
        c,
        new InputError([{ field: 'since', message: 'expected a ledger sequence number' }]),
      );
    }
    const onlyAccepted = c.req.query('accepted') === 'true';
    const entries = sim.ledger.entries(since).filter((e) => !onlyAccepted || e.accepted);
    return c.json({ entries, violations: sim.ledger.violations() });
  });
  app.get(`${p}/order-queries`, (c) => c.json({ queries: deps.orderQueries() }));
}
