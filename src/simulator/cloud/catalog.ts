/**
 * What the simulated region sells: availability zones, flavors (with the AZs where each is in
 * stock, so "sold out" has a natural meaning), public images and the default quotas.
 */
interface Flavor {
  id: string;
  vcpus: number;
  ramMb: number;
  /** AZs where the flavor is in stock; elsewhere a create job fails as sold out. */
  azs: string[];
}

interface Image {
  id: string;
  name: string;
  minDiskGb: number;
  /** Private images: a directory copied into the server's disk at first boot. */
  filesDir?: string;
  visibility: 'public' | 'private';
}

export interface Quotas {
  instances: number;
  cores: number;
  ramMb: number;
  vpcs: number;
  subnets: number;
  securityGroups: number;
  securityGroupRules: number;
  publicIps: number;
}

export const defaultQuotas: Quotas = {
  instances: 50,
  cores: 200,
  ramMb: 409_600,
  vpcs: 20,
  subnets: 200,
  securityGroups: 100,
  securityGroupRules: 5000,
  publicIps: 50,
};

export interface Catalog {
  region: string;
  azs: string[];
  /** EIP types (`iptype`) the region sells; others are refused at create. */
  eipTypes: string[];
  flavors: Map<string, Flavor>;
  images: Map<string, Image>;
}

/**
 * What the simulated cloud sells as EIP types, per region (RFS data types, huawei-cloud.md §5.3);
 * dynamic BGP elsewhere. The simulator's own knowledge, kept apart from the adapter's table.
 */
const eipTypesByRegion: Record<string, string[]> = {
  'cn-north-1': ['5_bgp', '5_sbgp'],
  'cn-east-2': ['5_sbgp'],
  'cn-northeast-1': ['5_telcom', '5_union'],
};

/**
 * A catalogue shaped like cn-north-4: three AZs, a few general-purpose (s6) and compute (c7)
 * flavors. c7.xlarge.2 is out of stock in the third AZ, as real flavors often are somewhere.
 */
export function createCatalog(region = 'cn-north-4'): Catalog {
  const azs = ['a', 'b', 'c'].map((s) => `${region}${s}`);
  const flavor = (id: string, vcpus: number, ramGb: number, inAzs = azs): Flavor => ({
    id,
    vcpus,
    ramMb: ramGb * 1024,
    azs: inAzs,
  });
  const flavors = [
    flavor('s6.small.1', 1, 1),
    flavor('s6.medium.2', 1, 2),
    flavor('s6.large.2', 2, 4),
    flavor('s6.xlarge.2', 4, 8),
    flavor('c7.large.2', 2, 4),
    flavor('c7.xlarge.2', 4, 8, azs.slice(0, 2)),
  ];
  const images: Image[] = [
    {
      id: '1a2b3c4d-0001-4000-8000-000000002204',
      name: 'Ubuntu 22.04 server 64bit',
      minDiskGb: 40,
      visibility: 'public',
    },
    {
      id: '1a2b3c4d-0002-4000-8000-000000000079',
      name: 'CentOS 7.9 64bit',
      minDiskGb: 40,
      visibility: 'public',
    },
    {
      id: '1a2b3c4d-0003-4000-8000-000000000020',
      name: 'Huawei Cloud EulerOS 2.0 Standard 64 bit',
      minDiskGb: 40,
      visibility: 'public',
    },
  ];
  return {
    region,
    azs,
    eipTypes: eipTypesByRegion[region] ?? ['5_bgp'],
    flavors: new Map(flavors.map((f) => [f.id, f])),
    images: new Map(images.map((i) => [i.id, i])),
  };
}

/** The default image of the catalogue (Ubuntu 22.04), for tests and the demo. */
export const defaultImageId = '1a2b3c4d-0001-4000-8000-000000002204';
