import type { PageMeta } from '../shared/page-meta';

/** The noise page: augmentation on the GPU (and on a CNN), noise robustness, label smoothing and calibration, overfitting against data size. */
export const meta: PageMeta = {
  name: 'noise',
  title: 'Noise, augmentation and label smoothing',
  teaches:
    'Chapter 7.4–7.5 on real MNIST digits: the augmented minibatch as the GPU draws it (same seed, same batch), input, hidden and weight noise trained side by side, augmentation on a small CNN beside the same CNN without it, label smoothing in the book’s and the frameworks’ conventions with reliability diagrams and logit sizes, and how the overfitting gap shrinks as the training set grows.',
  order: 35,
  sources: [
    'shaders/augment.wgsl',
    'shaders/noise.wgsl',
    'shaders/softmax_xent.wgsl',
    'regularizers/augmentation.ts',
    'regularizers/noise.ts',
    'regularizers/smoothing.ts',
    'regularizers/model.ts',
    'demos/noise/main.ts',
    'demos/noise/seed-bar.ts',
    'demos/noise/augment-batch.ts',
    'demos/noise/augment-panel.ts',
    'demos/noise/gated-run.ts',
    'demos/noise/run-group.ts',
    'demos/noise/noise-panel.ts',
    'demos/noise/cnn-augment-section.ts',
    'demos/noise/smoothing-panel.ts',
    'demos/noise/calibration.ts',
    'demos/noise/reliability-view.ts',
    'demos/noise/size-panel.ts',
    'demos/noise/datasets.ts',
    'demos/shared/digit-canvas.ts',
    'demos/noise/sources.ts',
  ],
};
