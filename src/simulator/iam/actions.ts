/**
 * The IAM actions each simulated API needs, and the system roles an agency can be granted.
 * ECS actions follow the ECS API reference's "Permissions and Supported Actions" (ecs_06_0002:
 * create needs `ecs:cloudServers:create`, plus `vpc:publicIps:create` for a new EIP); VPC ones
 * follow its `vpc:<resource>:<verb>` pattern. Where the reference names none (jobs, tag queries,
 * SMN) the simulator's choice is marked.
 */
const apiActions: Record<string, string[]> = {
  'ecs.createServers': ['ecs:cloudServers:create'],
  'ecs.deleteServers': ['ecs:cloudServers:delete'],
  'ecs.listServers': ['ecs:cloudServers:list'],
  'ecs.showServer': ['ecs:cloudServers:get'],
  'ecs.resize': ['ecs:cloudServers:resize'],
  'ecs.resetPassword': ['ecs:cloudServers:resetPassword'],
  // sim: the reference lists no action for jobs; reading one is a server read.
  'ecs.showJob': ['ecs:cloudServers:get'],
  'ecs.limits': ['ecs:quotas:get'],
  'vpc.createVpc': ['vpc:vpcs:create'],
  'vpc.listVpcs': ['vpc:vpcs:list'],
  'vpc.showVpc': ['vpc:vpcs:get'],
  'vpc.deleteVpc': ['vpc:vpcs:delete'],
  'vpc.createSubnet': ['vpc:subnets:create'],
  'vpc.listSubnets': ['vpc:subnets:get'],
  'vpc.showSubnet': ['vpc:subnets:get'],
  'vpc.deleteSubnet': ['vpc:subnets:delete'],
  'vpc.showQuota': ['vpc:quotas:list'],
  'smn.publishMessage': ['smn:topic:publish'],
};

/** The actions an API call needs (`serverAction` depends on its body: os-start, os-stop, reboot). */
export function actionsFor(api: string, rawBody: string): string[] {
  const known = apiActions[api];
  if (known) {
    if (api === 'ecs.createServers' && /"publicip"\s*:\s*\{[^}]*"eip"/.test(rawBody))
      return [...known, 'vpc:publicIps:create'];
    return known;
  }
  if (api === 'ecs.serverAction') {
    if (rawBody.includes('"os-start"')) return ['ecs:cloudServers:start'];
    if (rawBody.includes('"reboot"')) return ['ecs:cloudServers:reboot'];
    return ['ecs:cloudServers:stop'];
  }
  const group = /^vpc3?\.(create|delete|list|show)(SecurityGroupRule|SecurityGroup)s?$/.exec(api);
  if (group) {
    const resource = group[2] === 'SecurityGroup' ? 'securityGroups' : 'securityGroupRules';
    const verb = group[1] === 'show' || group[1] === 'list' ? 'get' : group[1];
    return [`vpc:${resource}:${verb}`];
  }
  // sim: the v2.0 tag APIs (list by tags, batch tags, show tags) as reads and updates of the resource.
  const tags = /^vpc\.(list|batch|show)(Vpc|Subnet|SecurityGroup)s?(ByTags|Tags)$/.exec(api);
  if (tags) {
    const resource = { Vpc: 'vpcs', Subnet: 'subnets', SecurityGroup: 'securityGroups' }[
      tags[2] as 'Vpc' | 'Subnet' | 'SecurityGroup'
    ];
    return [`vpc:${resource}:${tags[1] === 'batch' ? 'update' : 'get'}`];
  }
  return [`sim:${api}`];
}

/** `ecs:*:*` matches `ecs:cloudServers:create`; each `*` stands for one segment's text. */
export function actionAllowed(pattern: string, action: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^:]*')}$`,
    'i',
  );
  return re.test(action);
}

/** System roles (`GET /v3/roles`), with fixed ids as the real ones are. */
export const systemRoles = [
  {
    id: '0b5a5a6b8e9f4e0c9d1a2b3c4d5e6f01',
    name: 'system_all_1001',
    displayName: 'ECS FullAccess',
    type: 'XA',
    description: 'All permissions of ECS service.',
    // The real policy also grants the VPC reads an ECS console needs.
    actions: [
      'ecs:*:*',
      'evs:*:get',
      'evs:*:list',
      'vpc:*:get',
      'vpc:*:list',
      'vpc:publicIps:create',
    ],
    domainId: undefined,
  },
  {
    id: '0b5a5a6b8e9f4e0c9d1a2b3c4d5e6f02',
    name: 'system_all_1002',
    displayName: 'VPC FullAccess',
    type: 'XA',
    description: 'All permissions of VPC service.',
    actions: ['vpc:*:*'],
    domainId: undefined,
  },
  {
    id: '0b5a5a6b8e9f4e0c9d1a2b3c4d5e6f03',
    name: 'system_all_1003',
    displayName: 'ECS ReadOnlyAccess',
    type: 'XA',
    description: 'Read-only permissions for ECS.',
    actions: ['ecs:*:get', 'ecs:*:list'],
    domainId: undefined,
  },
  {
    id: '0b5a5a6b8e9f4e0c9d1a2b3c4d5e6f04',
    name: 'op_service',
    displayName: 'Agent Operator',
    type: 'AX',
    description: 'Switch roles to access resources of delegating accounts.',
    actions: ['iam:agencies:assume', 'iam:tokens:assume'],
    domainId: undefined,
  },
];
