import type { TestProject } from 'vitest/node';
import { build } from '../../scripts/build.js';

/**
 * Global setup of the integration project: brings dist/ up to date with the sources before any
 * test runs, and again before each rerun in watch mode.
 *
 * Suites that spawn `kgd` (kgd-process.ts, cluster.ts: the serve, restart, crash and replica
 * tests) run `bin/kgd.js`, which loads dist/. Running the compiled build rather than the sources
 * through tsx means the tests exercise what ships (the emitted JavaScript, the copied sandbox
 * assets, the bin's resolution), and each child starts about a second sooner (the cluster tests
 * start several). The build is incremental (`tsc -b`): under a second when nothing changed. A
 * source that does not compile fails the run here, with tsc's diagnostics, not later in a
 * child's output.
 */
export default function setup(project: TestProject) {
  build();
  project.onTestsRerun(() => {
    build();
  });
}
