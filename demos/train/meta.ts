import type { PageMeta } from '../shared/page-meta';

/** The train page: an MLP or a CNN trained on real digits with the chapter's regularizers, then Monte-Carlo dropout on a digit drawn by the visitor. */
export const meta: PageMeta = {
  name: 'train',
  title: 'Train, then draw a digit',
  teaches:
    'Train an MLP or a CNN on real MNIST digits with the regularizers of chapter 7 (the CNN’s first-layer filters drawn live, with and without L2), then draw a digit: weight scaling against the Monte-Carlo arithmetic mean over dropout masks (all in one batch), their spread, and how uncertainty grows as the digit turns.',
  order: 20,
  sources: [
    'shaders/dropout.wgsl',
    'shaders/augment.wgsl',
    'shaders/conv.wgsl',
    'demos/train/main.ts',
    'demos/train/run-section.ts',
    'demos/train/classify-section.ts',
    'demos/train/model-files-section.ts',
    'demos/train/infer.ts',
    'demos/train/trainer.ts',
    'demos/train/filters.ts',
    'demos/train/filter-panel.ts',
    'demos/train/settings.ts',
    'demos/train/pad.ts',
    'regularizers/dropout.ts',
    'regularizers/model.ts',
    'engine/train/loop.ts',
    'demos/train/highlights.ts',
    'demos/train/sources.ts',
  ],
};
