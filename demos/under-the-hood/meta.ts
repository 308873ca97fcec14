import type { PageMeta } from '../shared/page-meta';

/** The performance page: one training step taken apart, kernel by kernel, against the adapter's ceilings. */
export const meta: PageMeta = {
  name: 'under-the-hood',
  title: 'Under the hood',
  teaches:
    'Where the time of one training step goes: GPU time per kernel, each kernel on a roofline against the adapter’s measured FMA and copy ceilings, dispatches and submits per step, and what fusing dropout, the L2 penalty and the optimizer update saves.',
  order: 80,
  sources: [
    'shaders/matmul.wgsl',
    'shaders/dropout.wgsl',
    'shaders/softmax_xent.wgsl',
    'shaders/update_chain.wgsl',
    'shaders/elementwise.wgsl',
    'shaders/unary.wgsl',
    'shaders/reduce_axes.wgsl',
    'shaders/fma_peak.wgsl',
    'shaders/bandwidth.wgsl',
    'demos/under-the-hood/main.ts',
    'demos/under-the-hood/intro-section.ts',
    'demos/under-the-hood/step-section.ts',
    'demos/under-the-hood/kernels-section.ts',
    'demos/under-the-hood/fusion-section.ts',
    'demos/under-the-hood/measure.ts',
    'demos/under-the-hood/step.ts',
    'demos/under-the-hood/costs.ts',
    'engine/runtime/profile.ts',
    'demos/under-the-hood/sources.ts',
  ],
};
