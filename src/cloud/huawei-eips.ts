import type { CloudApi } from './cloud-api.js';
import { CloudNotFound } from './errors.js';
import type { Call } from './huawei-call.js';
import type { HuaweiClients } from './huawei-clients.js';
import { deleteUntilGone } from './huawei-delete.js';
import { badInput, read } from './huawei-ecs.js';
import type { EnsureDeps } from './huawei-ensure.js';
import type { HuaweiCloudSettings } from './huawei-settings.js';

/** An EIP as the EIP API (VPC v1 `/v1/{project_id}/publicips`) answers it; what we read. */
interface WirePublicIp {
  id: string;
  status?: string;
  public_ip_address?: string;
  port_id?: string | null;
  /** UTC, `yyyy-MM-dd HH:mm:ss`. */
  create_time?: string;
}

/** What the SDK core sends: the generated clients' request options, for APIs they lack. */
interface RequestOptions {
  method: 'GET' | 'DELETE';
  url: string;
  contentType: string;
  queryParams: Record<string, string>;
  pathParams: Record<string, string>;
  headers: Record<string, string>;
}
interface CoreClient {
  sendRequest(options: RequestOptions): Promise<unknown>;
}

const noRetry = { retry: false } as const;

/**
 * EIPs on their own (huawei-cloud.md §5.3, §5.4). No Node EIP SDK is published: the calls go
 * through the VPC v2 client's core (the same endpoint, signer, timeout and error parsing), as
 * the generated methods do.
 */
export function createEipOperations(
  deps: EnsureDeps & { clients: HuaweiClients; call: Call; settings: HuaweiCloudSettings },
): Pick<CloudApi, 'deleteDetachedEip'> {
  const { call, settings } = deps;
  const core = (deps.clients.vpc2 as unknown as { hcClient: CoreClient }).hcClient;
  const request = (
    method: RequestOptions['method'],
    url: string,
    params: { path?: Record<string, string>; query?: Record<string, string> } = {},
  ) =>
    core.sendRequest({
      method,
      url,
      contentType: 'application/json',
      queryParams: params.query ?? {},
      pathParams: params.path ?? {},
      headers: {},
    });
  const deleteDeps = { ...deps, budgetMs: settings.deleteTimeoutMs };

  const showEip = async (id: string): Promise<WirePublicIp | undefined> => {
    try {
      const resp = await call('vpc.showPublicip', () =>
        request('GET', '/v1/{project_id}/publicips/{publicip_id}', { path: { publicip_id: id } }),
      );
      return read<{ publicip?: WirePublicIp }>(resp).publicip;
    } catch (e) {
      if (e instanceof CloudNotFound) return undefined;
      throw e;
    }
  };

  return {
    async deleteDetachedEip(address, createdBefore) {
      if (!address) throw badInput('deleteDetachedEip', 'address', 'must be a non-empty string');
      const resp = await call('vpc.listPublicips', () =>
        request('GET', '/v1/{project_id}/publicips', { query: { public_ip_address: address } }),
      );
      const ours = (read<{ publicips?: WirePublicIp[] }>(resp).publicips ?? []).filter((e) => {
        if (e.public_ip_address !== address || e.port_id) return false;
        // Created after the address was ours: another EIP got it since, not ours to delete.
        const created = e.create_time ? Date.parse(`${e.create_time.replace(' ', 'T')}Z`) : NaN;
        return Number.isFinite(created) && created <= createdBefore.getTime();
      });
      for (const eip of ours)
        await deleteUntilGone(deleteDeps, {
          description: `EIP ${eip.id} (${address})`,
          operation: 'vpc.deletePublicip',
          show: () => showEip(eip.id),
          remove: () =>
            call(
              'vpc.deletePublicip',
              () =>
                request('DELETE', '/v1/{project_id}/publicips/{publicip_id}', {
                  path: { publicip_id: eip.id },
                }),
              noRetry,
            ),
        });
      return ours.length > 0;
    },
  };
}
