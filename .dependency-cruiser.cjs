/**
 * The import rule of ARCHITECTURE.md, run by `npm run check:imports` (it joins `npm test` once
 * the violations are down to 0):
 *
 *   app → operators, marketplace → deployments → cloud, remote, licenses, products → platform
 *   simulator sits beside, imported by app alone.
 *
 * Every rule is a `forbidden` one with severity error, so a single violation fails the run.
 */
const adapters = '^src/(cloud|remote|licenses|products|alerts)/';
/** What the simulator may see of the product: the protocol, cloud wire types and helpers. */
const simulatorMayImport = [
  '^src/platform/',
  '^src/simulator/',
  '^src/marketplace/protocol/',
  '^src/cloud/(wire-types|tags|port-ranges)\\.ts$',
];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No cycles, type-only imports included.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-root-files',
      severity: 'error',
      comment: 'Every source file belongs to a feature folder; the composition root is src/app/.',
      from: { path: '^src/[^/]+\\.tsx?$' },
      to: {},
    },
    {
      name: 'platform-is-the-leaf',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/', pathNot: '^src/platform/' },
    },
    {
      name: 'adapters-import-platform-only',
      severity: 'error',
      comment: 'cloud, remote, licenses and products never import each other or anything above.',
      from: { path: `${adapters}` },
      to: { path: '^src/', pathNot: ['^src/platform/', '^src/$1/'] },
    },
    {
      name: 'deployments-below-its-callers',
      severity: 'error',
      comment: 'deployments declares the ports it needs; the edges implement them.',
      from: { path: '^src/deployments/' },
      to: { path: '^src/(marketplace|operators|simulator|app)/' },
    },
    {
      name: 'marketplace-below-operators',
      severity: 'error',
      from: { path: '^src/marketplace/' },
      to: { path: '^src/(operators|simulator|app)/' },
    },
    {
      name: 'operators-use-marketplace-protocol-only',
      severity: 'error',
      from: { path: '^src/operators/' },
      to: {
        path: '^src/(simulator|app|marketplace)/',
        pathNot: '^src/marketplace/protocol/',
      },
    },
    {
      name: 'only-app-imports-the-simulator',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/app/', '^src/simulator/'] },
      to: { path: '^src/simulator/' },
    },
    {
      name: 'simulator-sees-little-of-the-product',
      severity: 'error',
      from: { path: '^src/simulator/' },
      to: { path: '^src/', pathNot: simulatorMayImport },
    },
    {
      name: 'production-code-never-imports-tests',
      severity: 'error',
      comment: 'Only *.test.ts files may import test/support/.',
      from: { path: '^src/', pathNot: '\\.test\\.tsx?$' },
      to: { path: '^test/' },
    },
    {
      name: 'tests-import-test-support-only',
      severity: 'error',
      from: { path: '^src/.+\\.test\\.tsx?$' },
      to: { path: '^test/', pathNot: '^test/support/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|\\.kgd)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
