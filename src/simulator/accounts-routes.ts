import type { Context, Hono } from 'hono';
import { z } from 'zod';
import type { SimAccounts } from './accounts.js';
import { quotasSchema } from './cloud/control.js';
import { IamRefusal } from './iam/registry.js';

const region = z
  .string()
  .regex(/^[a-z]{2}(-[a-z0-9]+)+$/, 'expected a region id such as cn-north-4');

const accountSchema = z.object({
  name: z.string().regex(/^[\w-]{1,64}$/, 'expected 1-64 letters, digits, _ or -'),
  regions: z.array(region).max(10).optional(),
  quotas: quotasSchema.optional(),
});
const userSchema = z.object({
  name: z.string().min(1).max(64),
  agentOperator: z.boolean().default(false),
});
const agencySchema = z.object({
  name: z.string().min(1).max(64),
  trustDomainName: z.string().min(1),
  actions: z
    .array(z.string().regex(/^[\w*]+:[\w*]+:[\w*]+$/, 'expected service:resource:action'))
    .optional(),
  roles: z.array(z.string().min(1)).optional(),
  regions: z.array(region).optional(),
  duration: z.string().optional(),
});

/**
 * The control API for accounts, unauthenticated like the rest of /sim/: create a buyer account
 * (its permanent key is in the answer, as a console's "My Credentials" page shows it), add IAM
 * users, see what a project holds, and act as the buyer in the IAM console (create or delete the
 * agency with its policy). The same IAM objects are reachable through the real IAM v3 API.
 */
export function registerAccountControlRoutes(app: Hono, accounts: SimAccounts): void {
  const json = async <S extends z.ZodType>(c: Context, schema: S) => {
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      raw = undefined;
    }
    return schema.safeParse(raw);
  };
  const invalid = (c: Context, err: z.ZodError) =>
    c.json(
      { error: err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') },
      400,
    );
  const refused = (c: Context, err: unknown) => {
    if (err instanceof IamRefusal) return c.json({ error: err.message }, err.status);
    if (err instanceof TypeError) return c.json({ error: err.message }, 400);
    throw err;
  };

  app.get('/sim/accounts', (c) => c.json({ accounts: accounts.list() }));
  app.post('/sim/accounts', async (c) => {
    const parsed = await json(c, accountSchema);
    if (!parsed.success) return invalid(c, parsed.error);
    try {
      return c.json(accounts.create(parsed.data), 201);
    } catch (err) {
      return refused(c, err);
    }
  });
  app.post('/sim/accounts/:domainId/users', async (c) => {
    const parsed = await json(c, userSchema);
    if (!parsed.success) return invalid(c, parsed.error);
    try {
      return c.json(
        accounts.addUser(c.req.param('domainId'), parsed.data.name, parsed.data.agentOperator),
        201,
      );
    } catch (err) {
      return refused(c, err);
    }
  });
  app.get('/sim/accounts/:domainId/inventory', (c) => {
    const live = c.req.query('live');
    const found = accounts.inspect(
      c.req.param('domainId'),
      c.req.query('region') ?? '',
      live === undefined ? undefined : live.split(',').filter(Boolean),
    );
    return found ? c.json(found) : c.json({ error: 'no such account or region' }, 404);
  });
  app.post('/sim/accounts/:domainId/agencies', async (c) => {
    const parsed = await json(c, agencySchema);
    if (!parsed.success) return invalid(c, parsed.error);
    try {
      const agency = accounts.createAgency(c.req.param('domainId'), parsed.data);
      return c.json(
        { id: agency.id, name: agency.name, trustDomainName: agency.trustDomainName },
        201,
      );
    } catch (err) {
      return refused(c, err);
    }
  });
  app.delete('/sim/accounts/:domainId/agencies/:name', (c) =>
    accounts.deleteAgency(c.req.param('domainId'), c.req.param('name'))
      ? c.body(null, 204)
      : c.json({ error: 'no such agency' }, 404),
  );
}
