import type { FlowContext } from './flow.js';

/**
 * getLicenseAsync (spec §7): render the event's license, upload it. The instance is unchanged; a
 * failed upload leaves it as it was and shows on the operation (operators rerun it).
 */
export async function licenseUploadFlow({ op, steps, d }: FlowContext): Promise<undefined> {
  const file = await steps.run('render-license', 'local', (s) => d.renderEventLicense(op, s));
  await steps.run('upload-license', 'marketplace', (s) => d.uploadEventLicense(op, file, s));
  return undefined;
}
