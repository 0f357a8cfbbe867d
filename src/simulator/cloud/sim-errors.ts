import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';

/**
 * Errors as each service writes them: ECS `{error:{code,message}}`, VPC v1 and the v2.0 tag
 * APIs `{code,message}` (vpc_api_0003), VPC v3 and the API gateway `{error_code,error_msg,
 * request_id}`. The SDK only keeps the code of the first and last shapes (huawei-cloud.md §1).
 *
 * Codes come from the reference where it lists one (ecs_07_0002, vpc_api_0003, the gateway's);
 * the `sim` ones below are the simulator's own choice where it does not.
 */
export const codes = {
  ecsQuota: 'Ecs.0001',
  ecsFrozen: 'Ecs.0003',
  ecsBadParam: 'Ecs.0005',
  ecsSameFlavor: 'Ecs.0009',
  ecsPassword: 'Ecs.0011',
  ecsSubnetFull: 'Ecs.0012',
  /** Flavor sold out in the AZ, answered at create (huawei-cloud.md §5.1). */
  ecsFlavorSoldOut: 'Ecs.0018',
  /** Flavor retired ("Flavor %s is abandoned"): no AZ will have it. */
  ecsFlavorAbandoned: 'Ecs.0019',
  /**
   * "Flavor [%s] does not exist." (ECS error table, "The flavor does not exist or has been
   * abandoned", solution "Change another flavor"): an unknown flavor, at create and resize.
   */
  ecsFlavorNotFound: 'Ecs.0029',
  /** "Disk type [%s] has been sold out in AZ [%s]." */
  ecsDiskSoldOut: 'Ecs.0044',
  /** A state the action does not accept (resize of a running server without withStopServer). */
  ecsStatusRequirement: 'Ecs.0100',
  /** Job-level code of a create that failed on its servers ("... the ECS status is error"). */
  ecsQuickCreateFailed: 'Ecs.0219',
  /** 501 "Other commands are being executed. Try again 1 minute later." */
  ecsBusy: 'Ecs.0603',
  ecsEipQuota: 'Ecs.0013',
  ecsNotFound: 'Ecs.0114',
  ecsTokenBody: 'Ecs.0122',
  ecsTokenFormat: 'Ecs.0123',
  ecsTokenExpired: 'Ecs.0124',
  /** Capacity for the flavor insufficient (listed by the migration service's ECS error table). */
  ecsSoldOut: 'Ecs.0319',
  /** sim: job not found / expired. */
  ecsJobNotFound: 'Ecs.0105',
  /** sim: server in a state that forbids the action. */
  ecsState: 'Ecs.0108',
  vpcBadParam: 'VPC.0101',
  vpcNotFound: 'VPC.0003',
  vpcNotActive: 'VPC.0004',
  vpcQuota: 'VPC.0114',
  vpcFrozen: 'VPC.2701',
  /** 409 resource busy. */
  vpcBusy: 'VPC.0512',
  /** sim: subnet / security group / rule not found. */
  vpcResourceNotFound: 'VPC.0202',
  /** sim: a v1 security group still used (the reference gives 409 without a code). */
  vpcInUse: 'VPC.0616',
  /** VPC has subnets (409, vpc_api_0003). */
  vpcHasSubnets: 'VPC.0104',
  /** VPC name already used in the account and region (400 "The router name exists."). */
  vpcNameExists: 'VPC.0115',
  /** Subnet CIDR not inside its VPC. */
  subnetNotInVpc: 'VPC.0203',
  /** Subnet CIDR overlaps another subnet. */
  subnetOverlaps: 'VPC.0204',
  /** Subnet still used by an ECS or a load balancer (answered as 500). */
  subnetInUse: 'VPC.0209',
  /** Invalid subnet CIDR (malformed, or smaller than /28). */
  subnetBadCidr: 'VPC.0212',
  /**
   * sim: a repeated DELETE of a subnet already being deleted. The real API answers 400 (the
   * Terraform provider takes it as "gone"); its code is not in the reference.
   */
  subnetDeleting: 'VPC.0202',
  /** Bad tag on a VPC, subnet or security group. */
  vpcBadTag: 'VPC.1801',
  /** v3 security group in use (409). */
  sgInUseV3: 'VPC.9902',
  /** Description longer than 85 characters or with < >. */
  ecsBadDescription: 'Ecs.0041',
  /** Delete refused while the system disk is still downloading (400, retry later). */
  ecsDiskDownloading: 'Ecs.0501',
  /** ECS tags: more than 10, a bad key, bad characters, a duplicate key. */
  ecsTooManyTags: 'Ecs.0905',
  ecsBadTagKey: 'Ecs.0906',
  ecsBadTagChars: 'Ecs.0907',
  ecsDuplicateTag: 'Ecs.0908',
  /**
   * The EIP pool of that iptype is not sold in the region (seen only in public scripts,
   * huawei-cloud.md §5.1: unverified).
   */
  eipTypeUnavailable: 'EIP.7904',
  /** 409: the EIP is still bound to a port (unbind it first). */
  eipBound: 'VPC.0517',
  /** sim: an EIP that does not exist (404). */
  eipNotFound: 'VPC.0504',
  /** sim: duplicate security-group rule. */
  vpcDuplicateRule: 'VPC.0204',
  /** 403 the agency's credentials lack the action in this project (huawei-iam-agency.md §5). */
  ecsPolicyDenied: 'Ecs.0110',
  vpcPolicyDenied: 'VPC.2201',
  gatewayAuth: 'APIGW.0301',
  gatewayNoApi: 'APIGW.0101',
  gatewayThrottled: 'APIGW.0308',
  /** sim: an injected 5xx. */
  injected: 'SIM.5XX',
} as const;

export type ServiceStyle = 'ecs' | 'vpc' | 'vpc3' | 'gateway';

/** Thrown by handlers; rendered in the style of the API that failed. */
export class SimHttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function styleOf(api: string | undefined): ServiceStyle {
  if (!api) return 'gateway';
  if (api.startsWith('ecs.')) return 'ecs';
  if (api.startsWith('vpc3.')) return 'vpc3';
  return 'vpc';
}

export function errorBody(style: ServiceStyle, code: string, message: string, requestId: string) {
  switch (style) {
    case 'ecs':
      return { error: { code, message } };
    case 'vpc':
      return { code, message };
    default:
      return { request_id: requestId, error_code: code, error_msg: message };
  }
}

export function sendError(
  c: Context,
  style: ServiceStyle,
  status: ContentfulStatusCode,
  code: string,
  message: string,
) {
  const requestId = (c.get('requestId' as never) as string | undefined) ?? '';
  // Counted per API by the app (ApiStats.refusals).
  c.set('errorCode' as never, code as never);
  return c.json(errorBody(style, code, message, requestId), status);
}

export const badParamCode = (style: ServiceStyle) =>
  style === 'ecs' ? codes.ecsBadParam : codes.vpcBadParam;

/** A 400 naming the offending fields, from a zod error. */
export function fromZod(style: ServiceStyle, err: ZodError): SimHttpError {
  const detail = err.issues
    .map((i) => `${i.path.length ? i.path.join('.') : 'body'}: ${i.message}`)
    .join('; ');
  return new SimHttpError(400, badParamCode(style), `Invalid request parameters: ${detail}`);
}
