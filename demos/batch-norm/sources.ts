/**
 * The texts the Source tab shows (meta.sources, WGSL first: batch norm is written with the tape's
 * ops, so its kernels are the mean over rows of reduce_axes.wgsl and the rsqrt of unary.wgsl),
 * imported raw so that the page shows exactly the files it was built from.
 */
import reduceAxesWgsl from '../../shaders/reduce_axes.wgsl?raw';
import unaryWgsl from '../../shaders/unary.wgsl?raw';
import batchNormTs from '../../engine/nn/batchnorm.ts?raw';
import batchNormRegTs from '../../regularizers/batchnorm.ts?raw';
import layerTs from '../../engine/nn/layer.ts?raw';
import mainTs from './main.ts?raw';
import pageStateTs from './page-state.ts?raw';
import hookTs from './hook.ts?raw';
import topBarTs from './top-bar.ts?raw';
import modelsTs from './models.ts?raw';
import trainerTs from './trainer.ts?raw';
import forwardTs from './forward.ts?raw';
import histogramSectionTs from './histogram-section.ts?raw';
import histogramsTs from './histograms.ts?raw';
import inferenceSectionTs from './inference-section.ts?raw';
import inferenceTs from './inference.ts?raw';
import inferenceViewTs from './inference-view.ts?raw';
import curvesSectionTs from './curves-section.ts?raw';
import spreadSectionTs from './spread-section.ts?raw';
import statsTs from './stats.ts?raw';
import shortRunSectionTs from './short-run-section.ts?raw';
import shortRunTs from './short-run.ts?raw';
import linesTs from './lines.ts?raw';
import digitCanvasTs from '../shared/digit-canvas.ts?raw';
import sourcesTs from './sources.ts?raw';
import { meta } from './meta';
import { sourcesInOrder } from '../shared/source';

const TEXTS: Record<string, string> = {
  'shaders/reduce_axes.wgsl': reduceAxesWgsl,
  'shaders/unary.wgsl': unaryWgsl,
  'engine/nn/batchnorm.ts': batchNormTs,
  'regularizers/batchnorm.ts': batchNormRegTs,
  'engine/nn/layer.ts': layerTs,
  'demos/batch-norm/main.ts': mainTs,
  'demos/batch-norm/page-state.ts': pageStateTs,
  'demos/batch-norm/hook.ts': hookTs,
  'demos/batch-norm/top-bar.ts': topBarTs,
  'demos/batch-norm/models.ts': modelsTs,
  'demos/batch-norm/trainer.ts': trainerTs,
  'demos/batch-norm/forward.ts': forwardTs,
  'demos/batch-norm/histogram-section.ts': histogramSectionTs,
  'demos/batch-norm/histograms.ts': histogramsTs,
  'demos/batch-norm/inference-section.ts': inferenceSectionTs,
  'demos/batch-norm/inference.ts': inferenceTs,
  'demos/batch-norm/inference-view.ts': inferenceViewTs,
  'demos/batch-norm/curves-section.ts': curvesSectionTs,
  'demos/batch-norm/spread-section.ts': spreadSectionTs,
  'demos/batch-norm/stats.ts': statsTs,
  'demos/batch-norm/short-run-section.ts': shortRunSectionTs,
  'demos/batch-norm/short-run.ts': shortRunTs,
  'demos/batch-norm/lines.ts': linesTs,
  'demos/shared/digit-canvas.ts': digitCanvasTs,
  'demos/batch-norm/sources.ts': sourcesTs,
};

/** The Source tab's files, in meta.sources order. */
export const SOURCES = sourcesInOrder(meta.sources, TEXTS, 'demos/batch-norm/sources.ts');
