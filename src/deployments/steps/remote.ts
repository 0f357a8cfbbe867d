import { passwordPurpose, privatePurpose } from '../../marketplace/handlers/context.js';
import type { Instance } from '../../platform/db/schema.js';
import { Retryable } from '../../platform/errors.js';
import type { LoadedProduct } from '../../products/catalog.js';
import { render } from '../../products/render.js';
import { requireSuccess } from '../../remote/errors.js';
import type { RemoteSession, SshTarget } from '../../remote/remote-host.js';
import { shellQuote } from '../../remote/shell-quote.js';
import {
  DeploymentFailure,
  type EngineDeps,
  OperationCancelled,
  type StepScope,
} from '../flow-context.js';
import type { DeployPlan } from '../plan.js';
import { timeouts } from '../policies.js';
import { getInstance } from '../store.js';
import { rootPassword } from './server.js';

/**
 * Everything done on the server over SSH. Each step opens its own session (nothing survives a
 * crash between steps) and pins the host key seen at first contact.
 */
export function productOf(deps: EngineDeps, plan: DeployPlan): LoadedProduct {
  const product = deps.catalog.byName(plan.productName);
  if (!product)
    throw new DeploymentFailure(`product template ${plan.productName} is no longer loaded`);
  return product;
}

function buyerExtendParams(deps: EngineDeps, inst: Instance): { name: string; value: string }[] {
  if (!inst.private_sealed) return [];
  const priv = JSON.parse(deps.secretBox.open(inst.private_sealed, privatePurpose(inst.id))) as {
    extendParams?: { name: string; value: string }[];
  };
  return priv.extendParams ?? [];
}

export function extendParamsOf(deps: EngineDeps, inst: Instance) {
  return buyerExtendParams(deps, inst);
}

async function target(deps: EngineDeps, inst: Instance, plan: DeployPlan): Promise<SshTarget> {
  const product = productOf(deps, plan);
  let host = inst.eip;
  let password: string;
  if (plan.existingServer) {
    host = plan.existingServer.host;
    const param = product.existingServer!.passwordParam;
    const pw = buyerExtendParams(deps, inst).find((p) => p.name === param)?.value;
    if (!pw)
      throw new DeploymentFailure(
        `the order names server ${host} but no ${param} extension parameter`,
      );
    password = pw;
  } else {
    password = await rootPassword(deps, inst);
  }
  if (!host) throw new DeploymentFailure(`instance ${inst.id} has no address to connect to yet`);
  deps.scrubber.add(password);
  return {
    host,
    port: plan.sshPort,
    username: plan.sshUser,
    password,
    ...(inst.host_key ? { expectedHostKey: inst.host_key } : {}),
  };
}

async function pinHostKey(deps: EngineDeps, inst: Instance, session: RemoteSession, s: StepScope) {
  if (inst.host_key) return;
  await deps.db
    .updateTable('instances')
    .set({ host_key: session.hostKey })
    .where('id', '=', inst.id)
    .where('host_key', 'is', null)
    .execute();
  await s.log('info', `host key pinned at first contact: ${session.hostKey}`);
}

/** Opens one session on the instance's server (one attempt; the step's policy retries). */
export async function openSession(
  deps: EngineDeps,
  instanceId: string,
  plan: DeployPlan,
  s: StepScope,
): Promise<{ session: RemoteSession; inst: Instance }> {
  const inst = (await getInstance(deps.db, instanceId))!;
  const session = await deps.remote.connect(await target(deps, inst, plan));
  await pinHostKey(deps, inst, session, s);
  return { session, inst };
}

export async function withSession<T>(
  deps: EngineDeps,
  instanceId: string,
  plan: DeployPlan,
  s: StepScope,
  fn: (session: RemoteSession, inst: Instance) => Promise<T>,
): Promise<T> {
  const { session, inst } = await openSession(deps, instanceId, plan, s);
  try {
    return await fn(session, inst);
  } finally {
    await session.close();
  }
}

/** Waits for sshd on a new server (tens of seconds after ACTIVE) and pins its host key. */
export async function waitForSsh(
  deps: EngineDeps,
  instanceId: string,
  plan: DeployPlan,
  s: StepScope,
): Promise<{ hostKey: string }> {
  const inst = (await getInstance(deps.db, instanceId))!;
  const product = productOf(deps, plan);
  const sshTarget = await target(deps, inst, plan);
  // The step polls connections itself (adaptively, like every wait of the engine): refused and
  // timed-out attempts mean "not yet"; a wrong password or a changed host key fails at once.
  let attempts = 0;
  const session = await s.pollUntil(
    `sshd on ${sshTarget.host}:${sshTarget.port}`,
    product.ssh.waitSeconds * 1000,
    async () => {
      attempts++;
      try {
        return await deps.remote.connect({ ...sshTarget, readyTimeoutMs: 10_000 });
      } catch (err) {
        if (!(err instanceof Retryable)) throw err;
        if (attempts % 10 === 1)
          await s.log('info', `waiting for sshd on ${sshTarget.host}: ${(err as Error).message}`);
        return undefined;
      }
    },
  );

  try {
    await pinHostKey(deps, inst, session, s);
    return { hostKey: session.hostKey };
  } finally {
    await session.close();
  }
}

export function installDirOf(product: LoadedProduct): string {
  return product.package?.installDir ?? product.firstBoot!.installDir;
}

/** The 0600 environment file every hook sources (spec in docs/templates.md). */
export function envFile(
  deps: EngineDeps,
  inst: Instance,
  plan: DeployPlan,
  limits: Record<string, unknown>,
): string {
  const product = productOf(deps, plan);
  const adminPassword = inst.app_password_sealed
    ? deps.secretBox.open(inst.app_password_sealed, passwordPurpose(inst.id))
    : '';
  deps.scrubber.add(adminPassword);
  const vars: Record<string, string> = {
    KGD_INSTANCE_ID: inst.id,
    KGD_PRODUCT: plan.productName,
    KGD_SKU: plan.skuCode,
    KGD_INSTALL_DIR: installDirOf(product),
    KGD_LICENSE_PATH: product.license.path,
    KGD_LICENSE_PUBLIC_KEY_PATH: product.license.publicKeyPath ?? '',
    KGD_ADMIN_USER: inst.app_user ?? product.access.user,
    KGD_ADMIN_PASSWORD: adminPassword,
    KGD_EIP: inst.eip ?? plan.existingServer?.host ?? '',
    KGD_PRIVATE_IP: inst.private_ip ?? '',
  };
  for (const [k, v] of Object.entries(limits))
    vars[`KGD_LIMIT_${k.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = String(v);
  return `${Object.entries(vars)
    .map(([k, v]) => `${k}=${shellQuote(v)}`)
    .join('\n')}\n`;
}

/** Uploads the package (skipped when the server already has these bytes) and unpacks it. */
export async function uploadPackage(
  deps: EngineDeps,
  instanceId: string,
  plan: DeployPlan,
  archive: { path: string; sha256: string; format: 'tar' | 'zip' },
  s: StepScope,
) {
  const product = productOf(deps, plan);
  const dir = installDirOf(product);
  return withSession(deps, instanceId, plan, s, async (session) => {
    const remote = `${dir}/.kgd/package.${archive.format === 'zip' ? 'zip' : 'tar.gz'}`;
    const up = await session.upload(archive.path, remote, { mode: 0o600 });
    await s.log(
      'info',
      up.skipped
        ? `package already on the server (sha256 ${up.sha256.slice(0, 12)})`
        : `package uploaded: ${up.bytes} bytes`,
    );
    const unpack =
      archive.format === 'zip'
        ? `unzip -oq ${shellQuote(remote)} -d ${shellQuote(dir)}`
        : `tar -xzf ${shellQuote(remote)} -C ${shellQuote(dir)}`;
    requireSuccess(
      'unpacking the package',
      await session.exec(`mkdir -p ${shellQuote(dir)} && ${unpack}`, {
        timeoutMs: timeouts.uploadMs,
      }),
    );
    return { sha256: up.sha256, skipped: up.skipped };
  });
}

export interface LicenseFiles {
  licenseId: string;
  expiresAt: string | null;
}

/** Writes the license, its public key and the env file on the server. */
export async function installLicense(
  deps: EngineDeps,
  instanceId: string,
  plan: DeployPlan,
  license: { id: string; text: string; expiresAt: Date | null; limits: Record<string, unknown> },
  s: StepScope,
): Promise<LicenseFiles> {
  const product = productOf(deps, plan);
  return withSession(deps, instanceId, plan, s, async (session, inst) => {
    const vars = {
      ...accessVars(inst, plan),
      license: license.text,
      expiresAt: license.expiresAt?.toISOString() ?? 'never',
      licensee: inst.customer_name ?? inst.customer_id ?? '',
      publicKey: deps.licenses.publicKeyPem,
    };
    await session.uploadContent(
      render(product.license.template, vars),
      product.license.path,
      0o644,
    );
    if (product.license.publicKeyPath)
      await session.uploadContent(deps.licenses.publicKeyPem, product.license.publicKeyPath, 0o644);
    await session.uploadContent(
      envFile(deps, inst, plan, license.limits),
      `${installDirOf(product)}/.kgd/env`,
      0o600,
    );
    await s.log(
      'info',
      `license ${license.id} installed at ${product.license.path} (expires ${license.expiresAt?.toISOString() ?? 'never'})`,
    );
    return { licenseId: license.id, expiresAt: license.expiresAt?.toISOString() ?? null };
  });
}

/** Runs `scripts/<hook>.sh` (or a first-boot command) with the env sourced; output goes to the log. */
export async function runHook(
  deps: EngineDeps,
  instanceId: string,
  plan: DeployPlan,
  hook: string,
  s: StepScope,
  command?: string,
) {
  const product = productOf(deps, plan);
  const dir = installDirOf(product);
  const timeoutSeconds = command
    ? product.firstBoot!.timeoutSeconds
    : (product.package?.hookTimeouts[hook as never] ?? timeouts.defaultHookSeconds[hook] ?? 300);
  const script = command ?? `bash scripts/${hook}.sh`;
  return withSession(deps, instanceId, plan, s, async (session) => {
    const pending: Promise<void>[] = [];
    // A cancellation (a release arrived) ends the session, which ends the hook: the release that
    // follows deletes the server anyway, so there is nothing to wait for.
    const onAbort = () => void session.close();
    s.signal.addEventListener('abort', onAbort, { once: true });
    const interrupted = () =>
      new OperationCancelled(`the ${hook} hook was interrupted: operation cancelled`);
    const command = `cd ${shellQuote(dir)} && set -a && . ./.kgd/env && set +a && ${script}`;
    let result: Awaited<ReturnType<typeof session.exec>>;
    try {
      result = await session.exec(command, {
        timeoutMs: timeoutSeconds * 1000,
        onOutput: (line) => {
          pending.push(
            s
              .log(line.stream === 'stderr' ? 'warn' : 'info', line.text, `${hook}:${line.stream}`)
              .catch(() => {}),
          );
        },
      });
    } catch (err) {
      if (s.signal.aborted) throw interrupted();
      throw err;
    } finally {
      s.signal.removeEventListener('abort', onAbort);
    }
    await Promise.all(pending);
    if (s.signal.aborted) throw interrupted();
    requireSuccess(`the ${hook} hook`, result);
    return { exitCode: result.exitCode };
  });
}

export function accessVars(inst: Instance, plan: DeployPlan): Record<string, string> {
  return {
    eip: inst.eip ?? plan.existingServer?.host ?? '',
    privateIp: inst.private_ip ?? '',
    instanceId: inst.id,
    user: inst.app_user ?? 'admin',
    product: plan.productName,
    sku: plan.skuCode,
    serverId: inst.server_id ?? plan.existingServer?.serverId ?? '',
  };
}

/** The product's health check, retried until it passes or its timeout ends. */
export async function checkHealth(
  deps: EngineDeps,
  instanceId: string,
  plan: DeployPlan,
  s: StepScope,
) {
  const product = productOf(deps, plan);
  const health = product.health;
  const inst = (await getInstance(deps.db, instanceId))!;
  const host = inst.eip ?? plan.existingServer?.host;
  let last = '';
  if ('http' in health) {
    const url = `http://${host}:${health.http.port}${health.http.path}`;
    await s
      .pollUntil(
        `${url} to answer ${health.http.expectStatus}`,
        health.timeoutSeconds * 1000,
        async () => {
          try {
            const res = await fetch(url, { signal: AbortSignal.timeout(5000), redirect: 'manual' });
            await res.arrayBuffer();
            last = `HTTP ${res.status}`;
            return res.status === health.http.expectStatus ? true : undefined;
          } catch (err) {
            last = (err as Error).message;
            return undefined;
          }
        },
      )
      .catch((err) => {
        throw new DeploymentFailure(
          `health check failed: ${url} (last: ${last}): ${(err as Error).message}`,
        );
      });
    await s.log('info', `healthy: ${url} answered ${health.http.expectStatus}`);
    return { healthy: true };
  }
  await withSession(deps, instanceId, plan, s, async (session) => {
    await s
      .pollUntil(`health command to succeed`, health.timeoutSeconds * 1000, async () => {
        const r = await session.exec(health.command, { timeoutMs: 30_000 });
        last = `exit ${r.exitCode}: ${r.stderr.trim().split('\n').pop() ?? ''}`;
        return r.exitCode === 0 ? true : undefined;
      })
      .catch((err) => {
        throw new DeploymentFailure(
          `health check failed (last: ${last}): ${(err as Error).message}`,
        );
      });
  });
  await s.log('info', 'healthy: health command succeeded');
  return { healthy: true };
}
