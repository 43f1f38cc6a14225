// ESM all the way: jest runs under `node --experimental-vm-modules` (see package.json "test"),
// @swc/jest strips types (tsc --noEmit does the type checking), and `.js` specifiers in imports
// map back to the `.ts` sources.
export default {
  // Node's, with a check that each test file ends the processes it started: a file that leaves one
  // running fails (test/support/process-environment.ts; and see test/support/exit-with-parent.ts);
  // and a cache the test files of one process share (the built-in catalog, validated once).
  testEnvironment: '<rootDir>/test/support/process-environment.ts',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'es6' },
      },
    ],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 30000,
  // Jest's default on N cores is N - 1 workers, which on 2 cores runs every file in band, one after
  // another; most files spend their time waiting on Git, the simulated controllers and child
  // processes, so two at a time use the second core (test/support/server-process.ts compiles the
  // server per worker so that files running side by side do not share a build). Three on 2 cores
  // took the run from 389 s to 297 s once, and once ran the machine out of memory (24 GiB, ~120
  // node processes of 100–250 MB alive at once): not until that is understood.
  maxWorkers: '100%',
  // A worker keeps what each file's modules left behind (their heap, their stray timers); run in one
  // process, files late in the run took two to five times as long as alone. A worker over this
  // after a file is replaced by a fresh one.
  workerIdleMemoryLimit: '1GB',
};
