/**
 * The JSON the SDK hands back, as sent on the wire (snake_case): the SDK's typed camelCase
 * getters are undefined at run time (huawei-cloud.md §0.2), so the adapter reads these fields.
 * Only what the adapter reads is declared; everything is optional because the cloud omits fields.
 */

export interface WireCreateServers {
  job_id?: string;
  order_id?: string;
  serverIds?: string[];
}

export interface WireJob {
  status?: string;
  job_id?: string;
  job_type?: string;
  begin_time?: string;
  end_time?: string;
  error_code?: string;
  fail_reason?: string;
  entities?: {
    server_id?: string;
    sub_jobs_total?: number;
    sub_jobs?: Array<{
      status?: string;
      job_id?: string;
      error_code?: string;
      fail_reason?: string;
      entities?: { server_id?: string; errorcode_message?: string };
    }>;
  };
}

interface WireAddress {
  addr?: string;
  version?: number | string;
  'OS-EXT-IPS:type'?: 'fixed' | 'floating';
}

export interface WireServer {
  id?: string;
  name?: string;
  status?: string;
  addresses?: Record<string, WireAddress[]>;
  flavor?: { id?: string; name?: string };
  image?: { id?: string };
  metadata?: Record<string, string>;
  tags?: string[];
  security_groups?: Array<{ id?: string; name?: string }>;
  'OS-EXT-AZ:availability_zone'?: string;
  fault?: { code?: number; message?: string };
}

export interface WireVpc {
  id?: string;
  name?: string;
  cidr?: string;
  status?: string;
}

export interface WireSubnet {
  id?: string;
  name?: string;
  cidr?: string;
  gateway_ip?: string;
  vpc_id?: string;
  status?: string;
  availability_zone?: string;
}

export interface WireTaggedResource {
  resource_id?: string;
  resource_name?: string;
  resource_detail?: unknown;
  tags?: Array<{ key?: string; value?: string }>;
}

export interface WireSecurityGroupRule {
  id?: string;
  security_group_id?: string;
  direction?: string;
  ethertype?: string;
  protocol?: string | null;
  port_range_min?: number | null;
  port_range_max?: number | null;
  multiport?: string | null;
  remote_ip_prefix?: string | null;
  remote_group_id?: string | null;
  action?: string;
}

export interface WireSecurityGroup {
  id?: string;
  name?: string;
  tags?: Array<{ key?: string; value?: string }>;
  security_group_rules?: WireSecurityGroupRule[];
}
