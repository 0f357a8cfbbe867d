import { createFakeRemote } from '../support/fakes/remote.js';
import { contractCommands, describeRemoteHostContract } from './remote-host.contract.js';

describeRemoteHostContract('the fake', async () => {
  const remote = createFakeRemote();
  const vm = remote.addMachine({ host: '10.0.0.5', password: 'Pw-contract-2026!' });
  for (const { command, reply } of Object.values(contractCommands)) vm.onExec(command, reply);
  remote.addMachine({ host: '10.0.0.6' }).unreachableUntil(new Date(8.64e15), 'refused');
  const target = { host: '10.0.0.5', port: 22, username: 'root', password: 'Pw-contract-2026!' };
  return {
    remote,
    target,
    refused: { ...target, host: '10.0.0.6' },
    readFile: async (remotePath) => vm.files.get(remotePath),
    async listDir(remotePath) {
      const prefix = `${remotePath.replace(/\/$/, '')}/`;
      const names = [...vm.files.keys()]
        .filter((p) => p.startsWith(prefix))
        .map((p) => p.slice(prefix.length).split('/')[0]!);
      return [...new Set(names)].sort();
    },
    close: async () => {},
  };
});
