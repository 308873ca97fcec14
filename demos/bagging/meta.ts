import type { PageMeta } from '../shared/page-meta';

/** The bagging page: bootstrap resamples, eq. 7.50 measured against k, and dropout's subnetworks as an ensemble. */
export const meta: PageMeta = {
  name: 'bagging',
  title: 'Bagging and ensembles',
  teaches:
    'Why averaging models helps, by eq. 7.50: k MLPs trained on bootstrap resamples (each holds ≈ 63.2% distinct digits), their measured v and c, and the ensemble error v/k + (k − 1)c/k against k; all k trained at once (batched), bit for bit the members trained one at a time; the digits they disagree on; and the Monte-Carlo subnetworks of one dropout net as the same kind of ensemble.',
  order: 36,
  sources: [
    'shaders/dropout.wgsl',
    'shaders/elementwise.wgsl',
    'regularizers/bagging.ts',
    'engine/train/ensemble.ts',
    'regularizers/dropout.ts',
    'demos/bagging/main.ts',
    'demos/bagging/settings-bar.ts',
    'demos/bagging/bagging-section.ts',
    'demos/bagging/dropout-section.ts',
    'demos/bagging/members.ts',
    'demos/bagging/stats.ts',
    'demos/bagging/ensemble-view.ts',
    'demos/bagging/error-chart.ts',
    'demos/bagging/gallery.ts',
    'demos/bagging/resample-strip.ts',
    'demos/shared/digit-canvas.ts',
    'demos/bagging/sources.ts',
  ],
};
