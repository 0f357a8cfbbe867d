import { render } from '../../products/render.js';
import type { StepScope } from '../engine/steps.js';
import { type DeployPlan, noTemplate } from '../model/plan.js';
import type { InstancePatch } from '../ports.js';
import { type DeployDeps, instanceOf, productOf } from './deps.js';
import { accessVars, type LicenseToInstall } from './remote.js';

/** License and access steps: the signed license, and what the buyer is handed once ready. */
export function createLicenseSteps(deps: DeployDeps) {
  return {
    /** Issues the instance's license for this key (same key, same license after any crash). */
    async issueLicense(
      instanceId: string,
      plan: DeployPlan,
      key: string,
      /** The new expiry (a renewal); absent, the instance's. */
      expiresAt: string | null | undefined,
      s: StepScope,
    ): Promise<LicenseToInstall> {
      const inst = await instanceOf(deps, instanceId);
      // A test order no template serves (a mock product) gets a test license without limits.
      const sku = (plan.productName === noTemplate
        ? undefined
        : productOf(deps, plan).marketplace.skus[plan.skuCode]) ?? { limits: {} };
      const existing = plan.existingServer;
      const boundTo = existing
        ? { serverId: existing.serverId ?? existing.host }
        : inst.server_id
          ? { serverId: inst.server_id }
          : {};
      const license = await deps.licenses.issue({
        // Same key, same license, unless a rerun replaced the server: the new one gets its own.
        idempotencyKey: boundTo.serverId ? `${key}@${boundTo.serverId}` : key,
        instanceId,
        orderId: inst.order_id,
        productId: inst.product_id,
        skuCode: plan.skuCode,
        customerId: inst.customer_id,
        customerName: inst.customer_name,
        limits: sku.limits,
        expiresAt:
          expiresAt === undefined ? inst.expires_at : expiresAt ? new Date(expiresAt) : null,
        boundTo,
        test: inst.test,
      });
      const expires = license.expires_at ? new Date(license.expires_at).toISOString() : null;
      await s.log('info', `license ${license.id} issued (expires ${expires ?? 'never'})`);
      return { id: license.id, text: license.text, expiresAt: expires, limits: sku.limits };
    },

    async revokeLicenses(instanceId: string, s: StepScope) {
      const revoked = await deps.licenses.revokeFor(instanceId);
      await s.log('info', `${revoked} license(s) revoked`);
      return { revoked };
    },

    /** What the buyer is handed once the deployment is ready (committed with the operation's end). */
    async access(
      instanceId: string,
      plan: DeployPlan,
      s: StepScope,
      skipped?: string,
    ): Promise<InstancePatch> {
      const inst = await instanceOf(deps, instanceId);
      const readyAt = (inst.ready_at ? new Date(inst.ready_at) : deps.clock.now()).toISOString();
      if (skipped) {
        // A skipped test order may have no template at all (a marketplace mock product).
        await s.log('info', `ready without resources: ${skipped}`);
        return {
          status: 'ready',
          status_detail: skipped,
          front_end_url: null,
          admin_url: null,
          memo: 'Test order: no resources were created.',
          ready_at: readyAt,
        };
      }
      const product = productOf(deps, plan);
      const vars = accessVars(inst, plan);
      const frontEndUrl = render(product.access.frontEndUrl, vars);
      await s.log('info', `ready: ${frontEndUrl}`);
      return {
        status: 'ready',
        status_detail: null,
        front_end_url: frontEndUrl,
        admin_url: product.access.adminUrl ? render(product.access.adminUrl, vars) : null,
        memo: product.access.memo ? render(product.access.memo, vars) : null,
        ready_at: readyAt,
      };
    },
  };
}
