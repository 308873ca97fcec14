import type { PageMeta } from '../shared/page-meta';

/** The early-stopping page: live U-shaped validation curves on MNIST, and the book's proof that early stopping is L2 on a quadratic. */
export const meta: PageMeta = {
  name: 'early-stopping',
  title: 'Early stopping is L2 in disguise',
  teaches:
    'Watch the validation loss turn up on 500 MNIST digits while patience runs out and the best weights come back; then scrub τ on a quadratic and see gradient descent stopped after τ steps land on the L2 solution for α ≈ 1/(τε), direction by direction (eqs. 7.40–7.45); and what the two ways of reusing the validation digits cost and gain.',
  order: 34,
  sources: [
    'shaders/update_chain.wgsl',
    'demos/early-stopping/main.ts',
    'demos/early-stopping/settings.ts',
    'demos/early-stopping/stopping-section.ts',
    'demos/early-stopping/mnist-run.ts',
    'demos/early-stopping/curves.ts',
    'demos/early-stopping/retrain-panel.ts',
    'demos/early-stopping/quadratic-section.ts',
    'demos/early-stopping/quadratic.ts',
    'demos/early-stopping/descent.ts',
    'demos/early-stopping/plane.ts',
    'demos/early-stopping/filters.ts',
    'regularizers/early-stopping.ts',
    'regularizers/retrain.ts',
    'demos/early-stopping/sources.ts',
  ],
};
