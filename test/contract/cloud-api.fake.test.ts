import { createFakeCloud, fakeFlavors, fakeImageId } from '../support/fakes/cloud.js';
import { createManualClock } from '../support/fakes/manual-clock.js';
import { describeCloudApiContract } from './cloud-api.contract.js';

describeCloudApiContract('the in-memory fake', async () => {
  const clock = createManualClock({ auto: true });
  const cloud = createFakeCloud({ clock });
  return {
    cloud,
    clock,
    imageId: fakeImageId,
    flavors: [fakeFlavors[1]!, fakeFlavors[2]!],
    azs: ['cn-north-4a', 'cn-north-4b'],
    soldOut: (spec) => cloud.faults.soldOut(spec),
    stop: async () => {},
  };
});
