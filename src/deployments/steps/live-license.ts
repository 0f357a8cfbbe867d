import { createHash } from 'node:crypto';
import path from 'node:path';
import { Permanent } from '../../platform/errors.js';
import { licenseVariables, render } from '../../products/render.js';
import type { LicenseUploadParams } from '../commands/record-license-upload.js';
import type { StepScope } from '../engine/steps.js';
import { licenseUploadKey } from '../model/keys.js';
import type { LicenseFile, OperationSnapshot, UploadReceipt } from '../ports.js';
import type { DeployDeps } from './deps.js';

const paramsOf = (op: OperationSnapshot) => op.params as unknown as LicenseUploadParams;

/**
 * Live License delivery (getLicenseAsync, spec §7): the license of one event, rendered once (the
 * issuer keys it on the event, so a replay renders the same bytes), and its upload.
 */
export function createLiveLicenseSteps(deps: DeployDeps) {
  return {
    async renderEventLicense(op: OperationSnapshot, s: StepScope): Promise<LicenseFile> {
      const p = paramsOf(op);
      const inst = await deps.store.instance(p.instanceId);
      if (!inst) {
        // A debug call for an instance this service does not know (spec §11): a test file.
        const text = `# KooGallery test license (testFlag=1), instance ${p.instanceId}, event ${p.eventId}\n`;
        await s.log('info', `test license rendered for event ${p.eventId} (unknown instance)`);
        return fileOf('license.lic', text);
      }
      const match = deps.catalog.resolve(inst.product_id, inst.sku_code);
      const product = match?.product;
      if (product?.license.bindToDevice && !p.deviceFingerprint)
        throw new Permanent(`event ${p.eventId}: the product binds to a device, none was given`);
      const expiresAt = p.expireTime ? new Date(p.expireTime) : inst.expires_at;
      const license = await deps.licenses.issue({
        idempotencyKey: licenseUploadKey(p.eventId),
        instanceId: inst.id,
        orderId: inst.order_id,
        productId: inst.product_id,
        skuCode: inst.sku_code,
        customerId: inst.customer_id,
        customerName: inst.customer_name,
        limits: match?.sku.limits ?? {},
        notBefore: new Date(p.effectiveTime),
        expiresAt: expiresAt ? new Date(expiresAt) : null,
        boundTo: p.deviceFingerprint ? { machineCode: p.deviceFingerprint } : {},
        test: inst.test || op.test,
      });
      const expires = license.expires_at ? new Date(license.expires_at).toISOString() : 'never';
      const vars: Record<string, string> = {
        ...Object.fromEntries(licenseVariables.map((v) => [v, ''])),
        instanceId: inst.id,
        product: product?.name ?? '',
        sku: inst.sku_code ?? '',
        user: product?.access.user ?? '',
        license: license.text,
        expiresAt: expires,
        licensee: inst.customer_name ?? inst.customer_id ?? '',
        publicKey: deps.licenses.publicKeyPem,
      };
      const text = product ? render(product.license.template, vars) : `${license.text}\n`;
      const name = product ? path.posix.basename(product.license.path) : 'license.lic';
      await s.log(
        'info',
        `license ${license.id} rendered for event ${p.eventId}${p.deviceFingerprint ? ' (bound to the device)' : ''}, expires ${expires}`,
      );
      return fileOf(name, text);
    },

    /**
     * The upload: the effect to guard. Its step is checkpointed, so after it returns it never runs
     * again for the operation; a crash between the marketplace's answer and the checkpoint uploads
     * the same bytes once more, which the spec allows (the API cannot be asked what it holds).
     */
    async uploadEventLicense(
      op: OperationSnapshot,
      file: LicenseFile,
      s: StepScope,
    ): Promise<UploadReceipt> {
      const p = paramsOf(op);
      if (!deps.delivery)
        throw new Permanent('no marketplace upload API configured (KGD_MARKETPLACE_API_URL)');
      const receipt = await deps.delivery.upload(p.eventId, file, s.signal);
      await s.log(
        'info',
        `license uploaded for event ${p.eventId} to ${receipt.host}: ${receipt.code}, ${file.name} sha256 ${file.sha256}`,
      );
      return receipt;
    },
  };
}

function fileOf(name: string, text: string): LicenseFile {
  return { name, text, sha256: createHash('sha256').update(text, 'utf8').digest('hex') };
}
