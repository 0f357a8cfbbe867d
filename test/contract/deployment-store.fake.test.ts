import { createFakeStore } from '../support/fakes/store.js';
import { describeDeploymentStoreContract } from './deployment-store.contract.js';

describeDeploymentStoreContract('the in-memory fake', async (clock) => {
  const store = createFakeStore({ clock });
  return {
    store,
    seed: {
      instance: async (row) => void store.seedInstance(row),
      operation: async (row) => void store.seedOperation(row),
    },
    operation: async (id) => structuredClone(store.operations.get(id)),
    async amendOperation(id, patch) {
      Object.assign(store.operations.get(id)!, structuredClone(patch));
    },
    close: async () => {},
  };
});
