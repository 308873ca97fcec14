/**
 * `npm run mutate`: mutation testing of the core (engine/train, engine/optim, the buffer pool and
 * regularizers/) against the Node tests on lavapipe, with StrykerJS's Vitest runner. Not part of
 * CI: it takes hours on two cores (bench/records has a recorded run and its survivors).
 * - One mutant at a time (concurrency 1): the machine is shared and every run drives a software GPU.
 * - Per-test coverage: each mutant reruns only the tests that reached it.
 * - Static mutants (module-level constants) are ignored: each would rerun every test.
 * - Narrow a run with `npm run mutate -- --mutate <file>`, and the tests with MUTATE_TESTS
 *   (tests/mutation/vitest.config.ts); the report goes to reports/mutation/.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'tests/mutation/vitest.config.ts', related: false },
  mutate: ['engine/train/**/*.ts', 'engine/optim/**/*.ts', 'engine/runtime/pool.ts', 'regularizers/**/*.ts'],
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  concurrency: 1,
  // A mutant that hangs (a loop that never ends) is cut off at 1.5 × the tests' own time + 15 s.
  timeoutMS: 15_000,
  timeoutFactor: 1.5,
  disableTypeChecks: '{engine,regularizers}/**/*.ts',
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  // TypeScript 7 has no JavaScript API for Stryker's tsconfig rewriting, which this project does not
  // need (its tsconfig has no `extends` or `references`): point it at a file that does not exist.
  tsconfigFile: 'tsconfig.stryker-absent.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
