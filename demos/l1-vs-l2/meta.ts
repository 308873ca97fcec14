import type { PageMeta } from '../shared/page-meta';

/** The L1-vs-L2 page: the 2-D picture with its closed forms, then exact zeros on MNIST. */
export const meta: PageMeta = {
  name: 'l1-vs-l2',
  title: 'L1 vs L2',
  teaches:
    'Why L2 shrinks every weight while L1 sets some exactly to zero: the 2-D quadratic with its penalty level sets and the book’s closed forms (eq. 7.13, 7.23) beside the engine’s own solver, then an MNIST network where proximal L1 makes exact zeros and the subgradient never does.',
  order: 31,
  sources: [
    'shaders/update_chain.wgsl',
    'demos/l1-vs-l2/main.ts',
    'demos/l1-vs-l2/quadratic.ts',
    'demos/l1-vs-l2/solver.ts',
    'demos/l1-vs-l2/plane-view.ts',
    'demos/l1-vs-l2/l1-trainer.ts',
    'demos/l1-vs-l2/weight-views.ts',
    'demos/l1-vs-l2/zero-chart.ts',
    'demos/l1-vs-l2/mnist-section.ts',
    'demos/l1-vs-l2/plane-section.ts',
    'demos/l1-vs-l2/loss-surface.ts',
    'demos/l1-vs-l2/surface-view.ts',
    'demos/l1-vs-l2/surface-section.ts',
    'regularizers/penalties.ts',
    'engine/optim/chain.ts',
    'demos/l1-vs-l2/sources.ts',
  ],
};
