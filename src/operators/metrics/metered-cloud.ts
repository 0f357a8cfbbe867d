import type { CloudApi } from '../../cloud/cloud-api.js';
import { Permanent, Retryable } from '../../platform/errors.js';
import type { Metrics } from './metrics.js';

/**
 * A `CloudApi` that counts every call by operation and result code (`ok`, or the
 * error `code` the adapter settled on after its retries) and times it. Behaviour unchanged.
 *
 * @example
 *   const cloud = meterCloud(fromHuaweiSdk({ settings, logger }), metrics);
 */
export function meterCloud(cloud: CloudApi, metrics: Pick<Metrics, 'cloudCall'>): CloudApi {
  const meter =
    <A extends unknown[], R>(operation: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const started = performance.now();
      try {
        const out = await fn(...args);
        metrics.cloudCall(operation, 'ok', performance.now() - started);
        return out;
      } catch (err) {
        const code =
          (err instanceof Retryable || err instanceof Permanent ? err.code : undefined) ??
          'kgd.unclassified';
        metrics.cloudCall(operation, code, performance.now() - started);
        throw err;
      }
    };
  return {
    ensureVpc: meter('ensureVpc', (i) => cloud.ensureVpc(i)),
    ensureSubnet: meter('ensureSubnet', (i) => cloud.ensureSubnet(i)),
    ensureSecurityGroup: meter('ensureSecurityGroup', (i) => cloud.ensureSecurityGroup(i)),
    createServer: meter('createServer', (i) => cloud.createServer(i)),
    getJob: meter('getJob', (id) => cloud.getJob(id)),
    getServer: meter('getServer', (id) => cloud.getServer(id)),
    findServersByTag: meter('findServersByTag', (k, v) => cloud.findServersByTag(k, v)),
    deleteServers: meter('deleteServers', (ids, o) => cloud.deleteServers(ids, o)),
    stopServers: meter('stopServers', (ids, t) => cloud.stopServers(ids, t)),
    startServers: meter('startServers', (ids) => cloud.startServers(ids)),
    resizeServer: meter('resizeServer', (id, f) => cloud.resizeServer(id, f)),
    deleteSecurityGroup: meter('deleteSecurityGroup', (id) => cloud.deleteSecurityGroup(id)),
    deleteSubnet: meter('deleteSubnet', (v, s) => cloud.deleteSubnet(v, s)),
    deleteVpc: meter('deleteVpc', (id) => cloud.deleteVpc(id)),
    deleteDetachedEip: meter('deleteDetachedEip', (a, b) => cloud.deleteDetachedEip(a, b)),
    findNetworkByTag: meter('findNetworkByTag', (k, v) => cloud.findNetworkByTag(k, v)),
  };
}
