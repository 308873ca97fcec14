/** The texts the Source tab shows (meta.sources, WGSL first), imported raw: exactly the files the page was built from. */
import augmentWgsl from '../../shaders/augment.wgsl?raw';
import noiseWgsl from '../../shaders/noise.wgsl?raw';
import xentWgsl from '../../shaders/softmax_xent.wgsl?raw';
import augmentationTs from '../../regularizers/augmentation.ts?raw';
import noiseTs from '../../regularizers/noise.ts?raw';
import smoothingTs from '../../regularizers/smoothing.ts?raw';
import modelTs from '../../regularizers/model.ts?raw';
import mainTs from './main.ts?raw';
import seedBarTs from './seed-bar.ts?raw';
import augmentBatchTs from './augment-batch.ts?raw';
import augmentPanelTs from './augment-panel.ts?raw';
import gatedRunTs from './gated-run.ts?raw';
import runGroupTs from './run-group.ts?raw';
import noisePanelTs from './noise-panel.ts?raw';
import cnnAugmentSectionTs from './cnn-augment-section.ts?raw';
import smoothingPanelTs from './smoothing-panel.ts?raw';
import calibrationTs from './calibration.ts?raw';
import reliabilityViewTs from './reliability-view.ts?raw';
import sizePanelTs from './size-panel.ts?raw';
import datasetsTs from './datasets.ts?raw';
import digitCanvasTs from '../shared/digit-canvas.ts?raw';
import sourcesTs from './sources.ts?raw';
import { meta } from './meta';
import { sourcesInOrder } from '../shared/source';

const TEXTS: Record<string, string> = {
  'shaders/augment.wgsl': augmentWgsl,
  'shaders/noise.wgsl': noiseWgsl,
  'shaders/softmax_xent.wgsl': xentWgsl,
  'regularizers/augmentation.ts': augmentationTs,
  'regularizers/noise.ts': noiseTs,
  'regularizers/smoothing.ts': smoothingTs,
  'regularizers/model.ts': modelTs,
  'demos/noise/main.ts': mainTs,
  'demos/noise/seed-bar.ts': seedBarTs,
  'demos/noise/augment-batch.ts': augmentBatchTs,
  'demos/noise/augment-panel.ts': augmentPanelTs,
  'demos/noise/gated-run.ts': gatedRunTs,
  'demos/noise/run-group.ts': runGroupTs,
  'demos/noise/noise-panel.ts': noisePanelTs,
  'demos/noise/cnn-augment-section.ts': cnnAugmentSectionTs,
  'demos/noise/smoothing-panel.ts': smoothingPanelTs,
  'demos/noise/calibration.ts': calibrationTs,
  'demos/noise/reliability-view.ts': reliabilityViewTs,
  'demos/noise/size-panel.ts': sizePanelTs,
  'demos/noise/datasets.ts': datasetsTs,
  'demos/shared/digit-canvas.ts': digitCanvasTs,
  'demos/noise/sources.ts': sourcesTs,
};

/** The Source tab's files, in meta.sources order. */
export const SOURCES = sourcesInOrder(meta.sources, TEXTS, 'demos/noise/sources.ts');
