import type { SimContext } from './context.js';
import type { SimServer } from './store.js';

/** A server as ECS `showServer` / `listServersDetails` write it (wire names). */
export function renderServer(ctx: SimContext, s: SimServer) {
  const flavor = ctx.store.catalog.flavors.get(s.flavor);
  const eip = s.eipId ? ctx.store.eips.get(s.eipId) : undefined;
  const addresses = [
    {
      version: '4',
      addr: s.fixedIp,
      'OS-EXT-IPS:type': 'fixed',
      'OS-EXT-IPS-MAC:mac_addr': macOf(s.id),
    },
    // The EIP is bound once the server has been built.
    ...(eip && s.status !== 'BUILD'
      ? [
          {
            version: '4',
            addr: eip.address,
            'OS-EXT-IPS:type': 'floating',
            'OS-EXT-IPS-MAC:mac_addr': macOf(s.id),
          },
        ]
      : []),
  ];
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    addresses: { [s.vpcId]: addresses },
    flavor: flavor
      ? {
          id: flavor.id,
          name: flavor.id,
          vcpus: String(flavor.vcpus),
          ram: String(flavor.ramMb),
          disk: '0',
        }
      : { id: s.flavor, name: s.flavor },
    image: { id: s.imageId },
    metadata: {
      ...s.metadata,
      vpc_id: s.vpcId,
      charging_mode: '0',
      'metering.image_id': s.imageId,
    },
    tags: Object.entries(s.tags).map(([k, v]) => `${k}=${v}`),
    security_groups: s.securityGroupIds.map((id) => ({
      id,
      name: ctx.store.securityGroups.get(id)?.name ?? id,
    })),
    key_name: s.keyName ?? null,
    description: s.description,
    created: s.createdAt,
    updated: s.updatedAt,
    hostId: s.id.replace(/-/g, '').slice(0, 24),
    'OS-EXT-AZ:availability_zone': s.az,
    'OS-EXT-STS:vm_state': s.status.toLowerCase(),
    'OS-EXT-STS:task_state': s.taskState,
    'OS-EXT-STS:power_state': s.status === 'ACTIVE' ? 1 : 4,
    'os-extended-volumes:volumes_attached': [
      { id: s.rootVolumeId, bootIndex: '0', device: '/dev/vda' },
    ],
    enterprise_project_id: s.metadata.enterprise_project_id ?? '0',
    ...(s.fault ? { fault: s.fault } : {}),
  };
}

function macOf(id: string): string {
  const hex = id.replace(/[^0-9a-f]/g, '').padEnd(10, '0');
  return `fa:16:3e:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
}
