import { guardAddress } from '../../platform/address-guard.js';
import type { Instance } from '../../platform/db/schema.js';
import { Cancelled, Permanent } from '../../platform/errors.js';
import type { LoadedProduct } from '../../products/catalog.js';
import { render } from '../../products/render.js';
import { requireSuccess, TransferStalled } from '../../remote/errors.js';
import type { RemoteSession, SshTarget } from '../../remote/remote-host.js';
import { shellQuote } from '../../remote/shell-quote.js';
import { waitForSsh } from '../../remote/wait-for-ssh.js';
import { timeouts } from '../engine/policies.js';
import type { StepScope } from '../engine/steps.js';
import type { DeployPlan } from '../model/plan.js';
import { buyerPolicy, type DeployDeps, instanceOf, productOf } from './deps.js';

export interface LicenseToInstall {
  id: string;
  text: string;
  expiresAt: string | null;
  limits: Record<string, unknown>;
}

function installDirOf(product: LoadedProduct): string {
  return product.package?.installDir ?? product.firstBoot!.installDir;
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

/**
 * Everything done on the server over SSH. Each step opens its own session (nothing survives a
 * crash between steps) and pins the host key seen at first contact.
 */
export function createRemoteSteps(deps: DeployDeps) {
  async function target(inst: Instance, plan: DeployPlan): Promise<SshTarget> {
    const product = productOf(deps, plan);
    // A buyer's server is reached at the address use-existing-server checked and pinned.
    const host = inst.eip;
    let password: string | undefined;
    let checkAddress: SshTarget['checkAddress'];
    if (plan.existingServer) {
      const param = product.existingServer!.passwordParam;
      password = deps.secrets.secretParam(inst, param);
      if (!password)
        throw new Permanent(
          `the order names server ${plan.existingServer.host} but no ${param} extension parameter`,
        );
      // Checked again where the socket goes (the deny list may have grown since).
      const policy = buyerPolicy(deps, product);
      checkAddress = (address) => guardAddress(address, policy, host ?? undefined);
    } else {
      password = deps.secrets.rootPassword(inst);
      if (!password) throw new Permanent(`instance ${inst.id} has no root password yet`);
    }
    if (!host) throw new Permanent(`instance ${inst.id} has no address to connect to yet`);
    return {
      host,
      port: plan.sshPort,
      username: plan.sshUser,
      password,
      ...(inst.host_key ? { expectedHostKey: inst.host_key } : {}),
      ...(checkAddress ? { checkAddress } : {}),
      minTransfer: {
        bytesPerSecond: product.ssh.minTransferBytesPerSecond,
        windowMs: product.ssh.transferWindowSeconds * 1000,
      },
    };
  }

  async function pinHostKey(inst: Instance, session: RemoteSession, s: StepScope) {
    if (inst.host_key) return;
    if (await deps.store.pinHostKey(inst.id, session.hostKey))
      await s.log('info', `host key pinned at first contact: ${session.hostKey}`);
  }

  /** One session on the instance's server (one attempt: the step's policy retries). */
  async function withSession<T>(
    instanceId: string,
    plan: DeployPlan,
    s: StepScope,
    fn: (session: RemoteSession, inst: Instance) => Promise<T>,
  ): Promise<T> {
    const inst = await instanceOf(deps, instanceId);
    const session = await deps.remote
      .connect(await target(inst, plan), { signal: s.signal })
      .catch((err: unknown) => {
        if (s.signal.aborted) throw new Cancelled(`${s.name} was interrupted: operation cancelled`);
        throw err;
      });
    // A cancellation (a release arrived) ends the session, which ends whatever runs on it.
    const onAbort = () => void session.close();
    s.signal.addEventListener('abort', onAbort, { once: true });
    try {
      await pinHostKey(inst, session, s);
      return await fn(session, inst);
    } catch (err) {
      if (s.signal.aborted) throw new Cancelled(`${s.name} was interrupted: operation cancelled`);
      // A server the buyer runs that stops reading is the buyer's to fix: retrying would only
      // hold a deploy slot longer (the seller's own servers get the step's retries).
      if (plan.existingServer && err instanceof TransferStalled)
        throw new Permanent(`the buyer's server: ${err.message}`, { cause: err });
      throw err;
    } finally {
      s.signal.removeEventListener('abort', onAbort);
      await session.close();
    }
  }

  /** The 0600 environment file every hook sources (see docs/templates.md). */
  function envFile(inst: Instance, plan: DeployPlan, limits: Record<string, unknown>): string {
    const product = productOf(deps, plan);
    const vars: Record<string, string> = {
      KGD_INSTANCE_ID: inst.id,
      KGD_PRODUCT: plan.productName,
      KGD_SKU: plan.skuCode,
      KGD_INSTALL_DIR: installDirOf(product),
      KGD_LICENSE_PATH: product.license.path,
      KGD_LICENSE_PUBLIC_KEY_PATH: product.license.publicKeyPath ?? '',
      KGD_ADMIN_USER: inst.app_user ?? product.access.user,
      KGD_ADMIN_PASSWORD: deps.secrets.appPassword(inst) ?? '',
      KGD_EIP: inst.eip ?? plan.existingServer?.host ?? '',
      KGD_PRIVATE_IP: inst.private_ip ?? '',
    };
    for (const [k, v] of Object.entries(limits))
      vars[`KGD_LIMIT_${k.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = String(v);
    return `${Object.entries(vars)
      .map(([k, v]) => `${k}=${shellQuote(v)}`)
      .join('\n')}\n`;
  }

  return {
    /** Waits for sshd on a new server (tens of seconds after ACTIVE) and pins its host key. */
    async waitForSsh(instanceId: string, plan: DeployPlan, s: StepScope) {
      const inst = await instanceOf(deps, instanceId);
      const product = productOf(deps, plan);
      const sshTarget = await target(inst, plan);
      const session = await waitForSsh(
        deps.remote,
        { ...sshTarget, readyTimeoutMs: timeouts.sshAttemptMs },
        {
          clock: deps.clock,
          timeoutMs: product.ssh.waitSeconds * 1000,
          signal: s.signal,
          onRetry: ({ attempt, error }) => {
            if (attempt % 10 === 1)
              void s
                .log('info', `waiting for sshd on ${sshTarget.host}: ${error.message}`)
                .catch(() => {});
          },
        },
      );
      try {
        await pinHostKey(inst, session, s);
        return { hostKey: session.hostKey };
      } finally {
        await session.close();
      }
    },

    /** Uploads the package (skipped when the server already has these bytes) and unpacks it. */
    async uploadPackage(instanceId: string, plan: DeployPlan, s: StepScope) {
      const product = productOf(deps, plan);
      const archive = deps.packages.archiveOf(product);
      const dir = installDirOf(product);
      return withSession(instanceId, plan, s, async (session) => {
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
    },

    /** Writes the license, its public key and the env file on the server. */
    async installLicense(
      instanceId: string,
      plan: DeployPlan,
      license: LicenseToInstall,
      s: StepScope,
    ) {
      const product = productOf(deps, plan);
      return withSession(instanceId, plan, s, async (session, inst) => {
        const vars = {
          ...accessVars(inst, plan),
          license: license.text,
          expiresAt: license.expiresAt ?? 'never',
          licensee: inst.customer_name ?? inst.customer_id ?? '',
          publicKey: deps.licenses.publicKeyPem,
        };
        await session.uploadContent(
          render(product.license.template, vars),
          product.license.path,
          0o644,
        );
        if (product.license.publicKeyPath)
          await session.uploadContent(
            deps.licenses.publicKeyPem,
            product.license.publicKeyPath,
            0o644,
          );
        await session.uploadContent(
          envFile(inst, plan, license.limits),
          `${installDirOf(product)}/.kgd/env`,
          0o600,
        );
        await s.log(
          'info',
          `license ${license.id} installed at ${product.license.path} (expires ${license.expiresAt ?? 'never'})`,
        );
        return { licenseId: license.id, expiresAt: license.expiresAt };
      });
    },

    /** Runs `scripts/<hook>.sh` (or a first-boot command) with the env sourced; output goes to the log. */
    async runHook(
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
        : (product.package?.hookTimeouts[hook as never] ??
          timeouts.defaultHookSeconds[hook] ??
          timeouts.defaultHookFallbackSeconds);
      const script = command ?? `bash scripts/${hook}.sh`;
      return withSession(instanceId, plan, s, async (session) => {
        const pending: Promise<void>[] = [];
        const result = await session.exec(
          `cd ${shellQuote(dir)} && set -a && . ./.kgd/env && set +a && ${script}`,
          {
            timeoutMs: timeoutSeconds * 1000,
            onOutput: (line) => {
              pending.push(
                s
                  .log(
                    line.stream === 'stderr' ? 'warn' : 'info',
                    line.text,
                    `${hook}:${line.stream}`,
                  )
                  .catch(() => {}),
              );
            },
          },
        );
        await Promise.all(pending);
        if (s.signal.aborted)
          throw new Cancelled(`the ${hook} hook was interrupted: operation cancelled`);
        requireSuccess(`the ${hook} hook`, result);
        return { exitCode: result.exitCode };
      });
    },

    /** The product's health check, retried until it passes or its timeout ends. */
    async checkHealth(instanceId: string, plan: DeployPlan, s: StepScope) {
      const product = productOf(deps, plan);
      const health = product.health;
      const inst = await instanceOf(deps, instanceId);
      const host = inst.eip;
      if (!host) throw new Permanent(`instance ${inst.id} has no address to check yet`);
      // An IP literal (pinned by use-existing-server) goes to no resolver: checking it is
      // checking where the request connects.
      if (plan.existingServer) guardAddress(host, buyerPolicy(deps, product));
      let last = '';
      const failed = (err: unknown): never => {
        if (err instanceof Cancelled) throw err;
        throw new Permanent(`health check failed (last: ${last}): ${(err as Error).message}`);
      };
      if ('http' in health) {
        const url = `http://${host}:${health.http.port}${health.http.path}`;
        await s
          .poll(
            `${url} to answer ${health.http.expectStatus}`,
            health.timeoutSeconds * 1000,
            async () => {
              try {
                const res = await deps.fetch(url, {
                  signal: AbortSignal.any([
                    AbortSignal.timeout(timeouts.healthRequestMs),
                    s.signal,
                  ]),
                  redirect: 'manual',
                });
                await res.arrayBuffer();
                last = `HTTP ${res.status}`;
                return res.status === health.http.expectStatus ? true : undefined;
              } catch (err) {
                last = (err as Error).message;
                return undefined;
              }
            },
          )
          .catch(failed);
        await s.log('info', `healthy: ${url} answered ${health.http.expectStatus}`);
        return { healthy: true };
      }
      await withSession(instanceId, plan, s, (session) =>
        s
          .poll('health command to succeed', health.timeoutSeconds * 1000, async () => {
            const r = await session.exec(health.command, { timeoutMs: timeouts.healthCommandMs });
            last = `exit ${r.exitCode}: ${r.stderr.trim().split('\n').pop() ?? ''}`;
            return r.exitCode === 0 ? true : undefined;
          })
          .catch(failed),
      );
      await s.log('info', 'healthy: health command succeeded');
      return { healthy: true };
    },
  };
}
