import { createManualClock } from '../support/fakes/manual-clock.js';
import { describeClockContract } from './clock.contract.js';

describeClockContract('manual clock (auto)', () => createManualClock({ auto: true }));
