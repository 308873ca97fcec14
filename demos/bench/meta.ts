import type { PageMeta } from '../shared/page-meta';

/** The benchmark page (the suites of `npm run bench`, on the visitor's GPU). */
export const meta: PageMeta = {
  name: 'bench',
  title: 'Benchmarks on your GPU',
  teaches: 'The engine side by side with tfjs-webgpu and jax-js on your own adapter, against its measured FMA and copy ceilings.',
  order: 90,
  sources: ['demos/bench/main.ts', 'bench/run-suites.ts'],
};
