/**
 * What differs between the regions KooGallery sells in, shipped as data (huawei-cloud.md §5.2,
 * §5.3, §5.8): the private DNS servers a new subnet must be given (without them a subnet has no
 * resolver), the EIP types (`iptype`) the region sells, and the ECS / VPC endpoints. A product
 * template may override any of it per region (`regions.<id>` in product.yaml); a region missing
 * here is served only when the template gives its DNS servers and EIP type (`kgd templates check`
 * says so). docs/cloud.md tells how to add a region.
 *
 * @example
 *   regionTable['cn-north-4'].dns                          // ['100.125.1.250', '100.125.129.250']
 *   regionGaps('xx-new-1', { dns: ['100.125.1.250'] })    // ['no EIP type known for region xx-new-1: ...']
 */
export interface RegionData {
  /** Private DNS servers, primary first (1 or 2). */
  dns?: string[];
  /** EIP types the region sells, the one to use first. */
  eipTypes?: string[];
  /** Per-service endpoints; the pattern `https://{service}.{region}.myhuaweicloud.com` otherwise. */
  endpoints?: { ecs?: string; vpc?: string };
}

/** A template's override for one region (product.yaml `regions.<id>`). */
interface RegionOverride {
  dns?: string[];
  eipType?: string;
}

const bgp = ['5_bgp'];
/**
 * DNS: the table of huawei-cloud.md §5.2 (Huawei's "private DNS server addresses" FAQ, as the
 * Terraform provider ships it). EIP types: §5.3 (RFS data types); where the reference lists none
 * for a region, dynamic BGP (`5_bgp`), the type every region documented sells (unverified there:
 * a template overrides it).
 */
export const regionTable: Readonly<Record<string, RegionData>> = {
  'cn-north-1': { dns: ['100.125.1.250', '100.125.21.250'], eipTypes: ['5_bgp', '5_sbgp'] },
  'cn-north-4': { dns: ['100.125.1.250', '100.125.129.250'], eipTypes: bgp },
  'cn-north-9': { dns: ['100.125.1.250', '100.125.107.250'], eipTypes: bgp },
  'cn-east-2': { dns: ['100.125.17.29', '100.125.135.29'], eipTypes: ['5_sbgp'] },
  'cn-east-3': { dns: ['100.125.1.250', '100.125.64.250'], eipTypes: bgp },
  'cn-south-1': { dns: ['100.125.1.250', '100.125.136.29'], eipTypes: bgp },
  'cn-south-4': { dns: ['100.125.0.167'], eipTypes: bgp },
  'cn-southwest-2': { dns: ['100.125.1.250', '100.125.129.250'], eipTypes: bgp },
  // Dalian sells carrier lines only; its private DNS is not in the reference: templates give it.
  'cn-northeast-1': { eipTypes: ['5_telcom', '5_union'] },
  'ap-southeast-1': { dns: ['100.125.1.250', '100.125.3.250'], eipTypes: bgp },
  'ap-southeast-2': { dns: ['100.125.1.250', '100.125.1.251'], eipTypes: bgp },
  'ap-southeast-3': { dns: ['100.125.1.250', '100.125.128.250'], eipTypes: bgp },
  'af-south-1': { dns: ['100.125.1.250', '100.125.1.14'], eipTypes: bgp },
  'tr-west-1': { dns: ['100.125.2.250', '100.125.2.251'], eipTypes: bgp },
  'sa-brazil-1': { dns: ['100.125.1.22', '100.125.1.90'], eipTypes: bgp },
  'na-mexico-1': { dns: ['100.125.1.22', '100.125.1.90'], eipTypes: bgp },
  'la-north-2': { dns: ['100.125.1.250', '100.125.1.242'], eipTypes: bgp },
  'la-south-2': { dns: ['100.125.1.250', '100.125.0.250'], eipTypes: bgp },
  'sa-chile-1': { dns: ['100.125.1.250', '100.125.0.250'], eipTypes: bgp },
};

const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
/** EIP type names as the VPC API lists them (`5_bgp`, `5_sbgp`, `5_telcom`...). */
const eipTypePattern = /^\d+_[a-z0-9]+$/;

/** What is wrong with a template's override (empty when nothing is). */
function overrideProblems(o: RegionOverride): string[] {
  const problems: string[] = [];
  if (o.dns !== undefined) {
    if (o.dns.length < 1 || o.dns.length > 2) problems.push('dns: give one or two DNS servers');
    for (const ip of o.dns) if (!ipv4.test(ip)) problems.push(`dns: ${ip} is not an IPv4 address`);
  }
  if (o.eipType !== undefined && !eipTypePattern.test(o.eipType))
    problems.push(`eipType: ${o.eipType} is not an EIP type such as 5_bgp`);
  return problems;
}

/** Why the region cannot be served with this override (empty when it can). */
export function regionGaps(region: string, override: RegionOverride = {}): string[] {
  const row = regionTable[region];
  const gaps = overrideProblems(override).map((p) => `regions.${region}.${p}`);
  if (!(override.dns ?? row?.dns)?.length)
    gaps.push(
      `no private DNS servers known for region ${region}: give regions.${region}.dns in the template`,
    );
  if (!(override.eipType ?? row?.eipTypes?.[0]))
    gaps.push(
      `no EIP type known for region ${region}: give regions.${region}.eipType in the template`,
    );
  return gaps;
}

/** The region's ECS and VPC (also EIP) endpoints: the table's, else the public pattern (§5.8). */
export function regionEndpoints(region: string): { ecs: string; vpc: string } {
  const row = regionTable[region];
  return {
    ecs: row?.endpoints?.ecs ?? `https://ecs.${region}.myhuaweicloud.com`,
    vpc: row?.endpoints?.vpc ?? `https://vpc.${region}.myhuaweicloud.com`,
  };
}
