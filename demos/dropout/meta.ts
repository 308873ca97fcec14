import type { PageMeta } from '../shared/page-meta';

/** The dropout page: the mask as the fused kernel draws it, traced back to Philox, replayed on the CPU. */
export const meta: PageMeta = {
  name: 'dropout',
  title: 'Dropout at the shader level',
  teaches:
    'How one fused WGSL kernel draws a dropout mask from a counter-based generator instead of storing it: trace any unit back to its key and counter, replay the whole mask bit for bit on the CPU, and see why inference scales by the keep probability p (and what scaling by 1 − p does).',
  order: 10,
  sources: [
    'shaders/dropout.wgsl',
    'shaders/philox.wgsl',
    'engine/ops/dropout.ts',
    'engine/random/philox.ts',
    'demos/dropout/main.ts',
    'demos/dropout/keep-bar.ts',
    'demos/dropout/mask-section.ts',
    'demos/dropout/training-section.ts',
    'demos/dropout/compare-section.ts',
    'demos/dropout/trainer.ts',
    'demos/dropout/adjustable-dropout.ts',
    'demos/dropout/derivation.ts',
    'demos/dropout/wgsl-lines.ts',
    'demos/dropout/highlights.ts',
    'demos/dropout/compare.ts',
    'demos/dropout/mask-grid.ts',
    'demos/dropout/derivation-view.ts',
    'demos/dropout/compare-view.ts',
    'demos/dropout/memory.ts',
    'demos/dropout/sources.ts',
  ],
};
