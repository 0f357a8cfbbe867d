import { signRequest } from '../../src/platform/apig-signing.js';
import type { SimulatorHandle } from '../../src/simulator/server.js';

/**
 * Test support: signed raw HTTP calls to the simulator (what the SDK sends, without the SDK), for
 * tests of wire-level behaviour the adapter hides (exact codes, bodies, headers).
 */
export function simClient(sim: Pick<SimulatorHandle, 'endpoint' | 'ak' | 'sk' | 'projectId'>) {
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const url = `${sim.endpoint}${path.replace('{pid}', sim.projectId)}`;
    const text = body === undefined ? undefined : JSON.stringify(body);
    const signed = signRequest(
      {
        method,
        url,
        headers: { 'content-type': 'application/json', 'x-project-id': sim.projectId, ...headers },
        body: text,
      },
      { ak: sim.ak, sk: sim.sk },
      new Date(),
    );
    const res = await fetch(url, { method, headers: signed, body: text });
    const raw = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers by path.
    const json: Record<string, any> = raw ? JSON.parse(raw) : {};
    return { status: res.status, body: json, headers: res.headers };
  };
  return {
    get: (path: string, headers?: Record<string, string>) => call('GET', path, undefined, headers),
    post: (path: string, body: unknown, headers?: Record<string, string>) =>
      call('POST', path, body, headers),
    put: (path: string, body: unknown) => call('PUT', path, body),
    del: (path: string) => call('DELETE', path),
  };
}
