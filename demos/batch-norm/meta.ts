import type { PageMeta } from '../shared/page-meta';

/** The batch-norm page: activations with and without it, training vs inference statistics, batch size as noise. */
export const meta: PageMeta = {
  name: 'batch-norm',
  title: 'Batch norm',
  teaches:
    'What batch normalization does to hidden units while a network trains (two MLPs side by side, with and without it), why it behaves differently in training and at inference (the batch’s statistics vs the stored running ones), and how the noise of batch statistics, larger in small batches, acts as a regularizer.',
  order: 38,
  sources: [
    'shaders/reduce_axes.wgsl',
    'shaders/unary.wgsl',
    'engine/nn/batchnorm.ts',
    'regularizers/batchnorm.ts',
    'engine/nn/layer.ts',
    'demos/batch-norm/main.ts',
    'demos/batch-norm/page-state.ts',
    'demos/batch-norm/hook.ts',
    'demos/batch-norm/top-bar.ts',
    'demos/batch-norm/models.ts',
    'demos/batch-norm/trainer.ts',
    'demos/batch-norm/forward.ts',
    'demos/batch-norm/histogram-section.ts',
    'demos/batch-norm/histograms.ts',
    'demos/batch-norm/inference-section.ts',
    'demos/batch-norm/inference.ts',
    'demos/batch-norm/inference-view.ts',
    'demos/batch-norm/curves-section.ts',
    'demos/batch-norm/spread-section.ts',
    'demos/batch-norm/stats.ts',
    'demos/batch-norm/short-run-section.ts',
    'demos/batch-norm/short-run.ts',
    'demos/batch-norm/lines.ts',
    'demos/shared/digit-canvas.ts',
    'demos/batch-norm/sources.ts',
  ],
};
