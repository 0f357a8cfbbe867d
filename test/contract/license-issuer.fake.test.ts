import { createFakeLicenses } from '../support/fakes/licenses.js';
import { describeLicenseIssuerContract } from './license-issuer.contract.js';

describeLicenseIssuerContract('the in-memory fake', async (clock) => {
  const licenses = createFakeLicenses({ clock });
  return {
    licenses,
    addInstance: async () => {},
    licensesOf: async (instanceId) =>
      licenses.issued
        .filter((l) => l.instance_id === instanceId)
        .map((l) => ({ id: l.id, revoked_at: l.revoked_at })),
    close: async () => {},
  };
});
