import { systemClock } from '../../src/platform/clock.js';
import { describeClockContract } from './clock.contract.js';

describeClockContract('system clock', () => systemClock);
