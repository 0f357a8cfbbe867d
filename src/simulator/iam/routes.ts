import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import type { Clock } from '../../platform/clock.js';
import { authenticate } from '../cloud/auth.js';
import { errorBody } from '../cloud/sim-errors.js';
import {
  IamRefusal,
  type IamRegistry,
  type Principal,
  type SimAgency,
  type SimRole,
} from './registry.js';

type IamEnv = { Variables: { caller: Principal; rawBody: string } };

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
};

/** Keystone's error body, as IAM v3 writes it (the SDK reads `error.code`: a number). */
function keystoneError(c: Context, status: ContentfulStatusCode, message: string) {
  return c.json({ error: { code: status, message, title: titles[status] ?? 'Error' } }, status);
}

/** `2017-04-17T07:55:18.575000Z`: IAM writes microseconds (huawei-iam-agency.md §2.1). */
const iamTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

const renderAgency = (a: SimAgency) => ({
  id: a.id,
  name: a.name,
  domain_id: a.domainId,
  trust_domain_id: a.trustDomainId,
  trust_domain_name: a.trustDomainName,
  duration: a.duration,
  create_time: a.createTime.replace(/\.\d{3}Z$/, '.000000'),
  expire_time: a.expiresAt === undefined ? null : iamTime(a.expiresAt),
  description: a.description,
});

const renderRole = (r: SimRole) => ({
  id: r.id,
  name: r.name,
  display_name: r.displayName,
  type: r.type,
  description: r.description,
  domain_id: r.domainId ?? null,
  catalog: r.domainId ? 'CUSTOMED' : 'BASE',
  flag: 'fine_grained',
  policy: { Version: '1.1', Statement: [{ Effect: 'Allow', Action: r.actions }] },
});

const assumeSchema = z.object({
  auth: z.object({
    identity: z.object({
      methods: z.array(z.literal('assume_role')).min(1),
      assume_role: z.object({
        agency_name: z.string().min(1).max(64),
        domain_id: z.string().optional(),
        domain_name: z.string().optional(),
        duration_seconds: z.number().int().optional(),
        session_user: z.object({ name: z.string().min(1).max(64) }).optional(),
      }),
    }),
  }),
});

const agencySchema = z.object({
  agency: z.object({
    name: z.string().min(1).max(64),
    domain_id: z.string().min(1),
    trust_domain_id: z.string().optional(),
    trust_domain_name: z.string().optional(),
    duration: z.union([z.string(), z.number()]).optional(),
    description: z.string().max(255).optional(),
  }),
});

const roleSchema = z.object({
  role: z.object({
    display_name: z.string().min(1).max(128),
    type: z.enum(['AX', 'XA', 'AA']),
    description: z.string().max(256).optional(),
    policy: z.object({
      Version: z.string(),
      Statement: z
        .array(z.object({ Effect: z.enum(['Allow', 'Deny']), Action: z.array(z.string().min(1)) }))
        .min(1),
    }),
  }),
});

/**
 * IAM v3 on the simulator's one port: agencies and their role grants, custom roles, `assume_role`
 * (`/v3.0/OS-CREDENTIAL/securitytokens`), and project discovery. Every call is signed like the
 * cloud's; agency management needs the account's permanent key, discovery accepts temporary ones.
 */
export function registerIamRoutes(
  app: Hono,
  deps: { iam: IamRegistry; clock: Clock; authClock: Clock },
): void {
  const { iam } = deps;
  const iamApp = app as unknown as Hono<IamEnv>;

  const auth: MiddlewareHandler<IamEnv> = async (c, next) => {
    const raw = Buffer.from(await c.req.arrayBuffer());
    c.set('rawBody', raw.toString('utf8'));
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, key) => {
      headers[key] = value;
    });
    const result = authenticate(
      iam,
      { method: c.req.method, url: c.req.url, headers, body: raw },
      { auth: deps.authClock.now() },
    );
    if (!result.ok) return c.json(errorBody('gateway', result.code, result.message, ''), 401);
    const domainHeader = headers['x-domain-id'];
    if (domainHeader && domainHeader !== result.principal.domainId)
      return keystoneError(c, 401, 'The request you have made requires authentication.');
    c.set('caller', result.principal);
    return next();
  };
  const body = <S extends z.ZodType>(c: Context<IamEnv>, schema: S): z.output<S> | undefined => {
    try {
      const parsed = schema.safeParse(JSON.parse(c.get('rawBody') || '{}'));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  };
  /** Agency and role management: the account's own permanent key only. */
  const admin = (c: Context<IamEnv>, domainId: string) => {
    const caller = c.get('caller');
    return caller.kind === 'permanent' && caller.domainId === domainId;
  };
  const refused = (c: Context, err: unknown) => {
    if (err instanceof IamRefusal) return keystoneError(c, err.status, err.message);
    throw err;
  };
  const forbidden = (c: Context) =>
    keystoneError(c, 403, 'You are not authorized to perform the requested action.');

  for (const path of ['/v3.0/*', '/v3/projects', '/v3/auth/*', '/v3/roles']) iamApp.use(path, auth);

  iamApp.post('/v3.0/OS-CREDENTIAL/securitytokens', (c) => {
    const parsed = body(c, assumeSchema);
    if (!parsed)
      return keystoneError(c, 400, 'Invalid input for field identity: assume_role expected.');
    const a = parsed.auth.identity.assume_role;
    try {
      const key = iam.assume(c.get('caller'), {
        agencyName: a.agency_name,
        domainId: a.domain_id,
        domainName: a.domain_name,
        durationSeconds: a.duration_seconds ?? 900,
        sessionUser: a.session_user?.name,
      });
      return c.json(
        {
          credential: {
            access: key.ak,
            secret: key.sk,
            securitytoken: key.securityToken,
            expires_at: iamTime(key.expiresAt),
          },
        },
        201,
      );
    } catch (err) {
      return refused(c, err);
    }
  });

  iamApp.post('/v3.0/OS-AGENCY/agencies', (c) => {
    const parsed = body(c, agencySchema);
    if (!parsed) return keystoneError(c, 400, 'Invalid input for field agency.');
    const a = parsed.agency;
    if (!admin(c, a.domain_id)) return forbidden(c);
    try {
      const agency = iam.createAgency({
        domainId: a.domain_id,
        name: a.name,
        trustDomainId: a.trust_domain_id,
        trustDomainName: a.trust_domain_name,
        duration: a.duration === undefined ? undefined : String(a.duration),
        description: a.description,
      });
      return c.json({ agency: renderAgency(agency) }, 201);
    } catch (err) {
      return refused(c, err);
    }
  });

  iamApp.get('/v3.0/OS-AGENCY/agencies', (c) => {
    const domainId = c.req.query('domain_id') ?? '';
    if (!admin(c, domainId)) return forbidden(c);
    const name = c.req.query('name');
    const list = [...iam.agencies.values()].filter(
      (a) => a.domainId === domainId && (!name || a.name === name),
    );
    return c.json({ agencies: list.map(renderAgency) });
  });

  const agencyOf = (c: Context<IamEnv>, id: string) => {
    const agency = iam.agencies.get(id);
    return agency && admin(c, agency.domainId) ? agency : undefined;
  };
  iamApp.get('/v3.0/OS-AGENCY/agencies/:id', (c) => {
    const agency = agencyOf(c, c.req.param('id'));
    if (!agency) return keystoneError(c, 404, `Could not find agency: ${c.req.param('id')}`);
    return c.json({ agency: renderAgency(agency) });
  });
  iamApp.delete('/v3.0/OS-AGENCY/agencies/:id', (c) => {
    const agency = agencyOf(c, c.req.param('id'));
    if (!agency) return keystoneError(c, 404, `Could not find agency: ${c.req.param('id')}`);
    iam.deleteAgency(agency.id);
    return c.body(null, 204);
  });

  type Scope = Parameters<IamRegistry['grant']>[2];
  const grantRoute = (path: string, scopeOf: (c: Context<IamEnv>) => Scope | undefined) => {
    const handle = (grant: boolean) => (c: Context<IamEnv>) => {
      const agency = agencyOf(c, c.req.param('aid') ?? '');
      const scope = scopeOf(c);
      if (!agency || !scope)
        return keystoneError(c, 404, `Could not find agency: ${c.req.param('aid')}`);
      try {
        if (grant) iam.grant(agency.id, c.req.param('rid') ?? '', scope);
        else iam.revoke(agency.id, c.req.param('rid') ?? '', scope);
        return c.body(null, 204);
      } catch (err) {
        return refused(c, err);
      }
    };
    iamApp.put(path, handle(true));
    iamApp.delete(path, handle(false));
  };
  grantRoute('/v3.0/OS-AGENCY/projects/:pid/agencies/:aid/roles/:rid', (c) => {
    const project = iam.projects.get(c.req.param('pid') ?? '');
    return project && admin(c, project.domainId) ? { projectId: project.id } : undefined;
  });
  grantRoute('/v3.0/OS-AGENCY/domains/:did/agencies/:aid/roles/:rid', (c) =>
    admin(c, c.req.param('did') ?? '') ? { domainId: c.req.param('did') ?? '' } : undefined,
  );
  grantRoute('/v3.0/OS-INHERIT/domains/:did/agencies/:aid/roles/:rid/inherited_to_projects', (c) =>
    admin(c, c.req.param('did') ?? '') ? { inherited: true } : undefined,
  );

  iamApp.get('/v3/roles', (c) => {
    const caller = c.get('caller');
    const display = c.req.query('display_name');
    const list = [...iam.roles.values()].filter(
      (r) =>
        (r.domainId === undefined || r.domainId === caller.domainId) &&
        (!display || r.displayName === display),
    );
    return c.json({ roles: list.map(renderRole), links: { self: c.req.url } });
  });

  iamApp.post('/v3.0/OS-ROLE/roles', (c) => {
    const caller = c.get('caller');
    if (!admin(c, caller.domainId)) return forbidden(c);
    const parsed = body(c, roleSchema);
    if (!parsed) return keystoneError(c, 400, 'Invalid input for field role.');
    const r = parsed.role;
    const role = iam.createRole(caller.domainId, {
      displayName: r.display_name,
      type: r.type,
      description: r.description ?? '',
      actions: r.policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => s.Action),
    });
    return c.json({ role: renderRole(role) }, 201);
  });

  const renderProjects = (domainId: string, name?: string) =>
    [...iam.projects.values()]
      .filter((p) => p.domainId === domainId && (!name || p.name === name))
      .map((p) => ({
        id: p.id,
        name: p.name,
        domain_id: p.domainId,
        enabled: true,
        is_domain: false,
        parent_id: p.domainId,
      }));

  // No permission needed (api-iam/iam_06_0003): the caller's own account's projects.
  iamApp.get('/v3/auth/projects', (c) =>
    c.json({ projects: renderProjects(c.get('caller').domainId) }),
  );
  iamApp.get('/v3/auth/domains', (c) => {
    const domain = iam.domains.get(c.get('caller').domainId);
    return c.json({ domains: domain ? [{ id: domain.id, name: domain.name, enabled: true }] : [] });
  });
  // Needs IAM read permission: temporary credentials only with iam:projects:list granted.
  iamApp.get('/v3/projects', (c) => {
    const caller = c.get('caller');
    if (iam.missingAction(caller, '', ['iam:projects:list']))
      return keystoneError(
        c,
        403,
        'You are not authorized to perform the requested action: identity:list_projects.',
      );
    return c.json({ projects: renderProjects(caller.domainId, c.req.query('name')) });
  });
  // The SDK creates a project when its lookup finds none (§4): agencies may not.
  iamApp.post('/v3/projects', (c) =>
    keystoneError(
      c,
      403,
      'You are not authorized to perform the requested action: identity:create_project.',
    ),
  );
}
