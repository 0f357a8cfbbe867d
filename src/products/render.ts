/**
 * `{{name}}` substitution for the few strings a product renders (access URLs, the license file).
 * Unknown variables are errors, found when templates are checked, not at a buyer's deployment.
 */
const pattern = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g;

export class RenderError extends Error {
  override name = 'RenderError';
}

export function templateVariables(template: string): string[] {
  return [...template.matchAll(pattern)].map((m) => m[1]!);
}

export function render(
  template: string,
  vars: Record<string, string | number | undefined>,
): string {
  return template.replace(pattern, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new RenderError(`unknown variable {{${name}}}`);
    return String(value);
  });
}

/** Variables every rendered string may use. */
export const accessVariables = [
  'eip',
  'privateIp',
  'instanceId',
  'user',
  'product',
  'sku',
  'serverId',
];
export const licenseVariables = [
  ...accessVariables,
  'license',
  'expiresAt',
  'licensee',
  'publicKey',
];
