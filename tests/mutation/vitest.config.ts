/**
 * The Vitest config StrykerJS runs (stryker.config.json): the Node tests of the mutated modules
 * (engine/train, engine/optim, engine/runtime/pool.ts, regularizers/) on Mesa lavapipe only, one
 * project, so that each mutant costs one adapter's run. The list is the tests that exercise those
 * modules through their public behaviour; Stryker's per-test coverage then runs, for each mutant,
 * only the tests that reached it. Set MUTATE_TESTS (comma-separated globs) to narrow it further.
 */
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vite.config';

const defaults = [
  'tests/train/loop.test.ts',
  'tests/train/hooks.test.ts',
  'tests/train/step-masks.test.ts',
  'tests/optim/*.test.ts',
  'tests/regularizers/*.test.ts',
  'tests/runtime/memory.test.ts',
  'tests/runtime/pool.test.ts',
  'tests/nn/unfused-default.test.ts',
  'tests/reliability/leaks.test.ts',
];

const include = process.env.MUTATE_TESTS ? process.env.MUTATE_TESTS.split(',') : defaults;

export default defineConfig((env) => {
  const resolved = typeof base === 'function' ? base(env) : base;
  // The project's test settings (set-up files, pool, timeouts) without its three projects.
  const { projects: _projects, ...test } = resolved.test ?? {};
  return mergeConfig(
    { ...resolved, test },
    {
      test: {
        testTimeout: 300_000,
        hookTimeout: 300_000,
        include,
        env: { WEBGPU_ADAPTER: 'lavapipe' },
      },
    },
  );
});
