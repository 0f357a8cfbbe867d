import { defaultImageId, startCloudFixture } from '../support/cloud-sim.js';
import { describeCloudApiContract } from './cloud-api.contract.js';

describeCloudApiContract('fromHuaweiSdk over the simulator', async () => {
  const f = await startCloudFixture();
  return {
    cloud: f.cloud,
    clock: f.clock,
    imageId: defaultImageId,
    flavors: ['s6.medium.2', 's6.large.2'],
    azs: [f.sim.azs[0]!, f.sim.azs[1]!],
    soldOut: (spec) => f.sim.faults.soldOut(spec),
    stop: () => f.stop(),
  };
});
