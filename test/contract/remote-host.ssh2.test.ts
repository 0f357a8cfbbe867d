import { readdir, readFile, stat } from 'node:fs/promises';
import { createSilentLogger } from '../../src/platform/logger.js';
import { fromSsh2 } from '../../src/remote/from-ssh2.js';
import { createTestHosts, testHostSpec } from '../support/sim-hosts.js';
import { describeRemoteHostContract } from './remote-host.contract.js';

/** fromSsh2 against a simulated machine: real sshd, real bash (needs root, as CI has). */
describeRemoteHostContract('fromSsh2 over a simulated machine', async () => {
  const machines = await createTestHosts();
  const spec = await machines.start(testHostSpec('contract'));
  const remote = fromSsh2({ logger: createSilentLogger() });
  // Waiting here keeps the suite's connect tests about connecting, not about booting.
  await (await machines.connect(remote, spec)).close();
  const onDisk = (remotePath: string) => machines.hostPath(spec, remotePath);
  return {
    remote,
    target: machines.target(spec),
    // The machine's address, a port where nothing listens.
    refused: machines.target(spec, { port: 2223 }),
    async readFile(remotePath) {
      const info = await stat(onDisk(remotePath)).catch(() => undefined);
      if (!info) return undefined;
      return { content: await readFile(onDisk(remotePath)), mode: info.mode & 0o7777 };
    },
    listDir: async (remotePath) => (await readdir(onDisk(remotePath))).sort(),
    close: () => machines.close(),
  };
});
