/** The texts the Source tab shows (meta.sources, WGSL first), imported raw: exactly what the page was built from. */
import dropoutWgsl from '../../shaders/dropout.wgsl?raw';
import augmentWgsl from '../../shaders/augment.wgsl?raw';
import convWgsl from '../../shaders/conv.wgsl?raw';
import modelTs from '../../regularizers/model.ts?raw';
import dropoutTs from '../../regularizers/dropout.ts?raw';
import loopTs from '../../engine/train/loop.ts?raw';
import mainTs from './main.ts?raw';
import runSectionTs from './run-section.ts?raw';
import classifySectionTs from './classify-section.ts?raw';
import modelFilesSectionTs from './model-files-section.ts?raw';
import inferTs from './infer.ts?raw';
import trainerTs from './trainer.ts?raw';
import filtersTs from './filters.ts?raw';
import filterPanelTs from './filter-panel.ts?raw';
import settingsTs from './settings.ts?raw';
import padTs from './pad.ts?raw';
import highlightsTs from './highlights.ts?raw';
import sourcesTs from './sources.ts?raw';
import { meta } from './meta';
import { sourcesInOrder } from '../shared/source';

const TEXTS: Record<string, string> = {
  'shaders/dropout.wgsl': dropoutWgsl,
  'shaders/augment.wgsl': augmentWgsl,
  'shaders/conv.wgsl': convWgsl,
  'regularizers/model.ts': modelTs,
  'regularizers/dropout.ts': dropoutTs,
  'engine/train/loop.ts': loopTs,
  'demos/train/main.ts': mainTs,
  'demos/train/run-section.ts': runSectionTs,
  'demos/train/classify-section.ts': classifySectionTs,
  'demos/train/model-files-section.ts': modelFilesSectionTs,
  'demos/train/infer.ts': inferTs,
  'demos/train/trainer.ts': trainerTs,
  'demos/train/filters.ts': filtersTs,
  'demos/train/filter-panel.ts': filterPanelTs,
  'demos/train/settings.ts': settingsTs,
  'demos/train/pad.ts': padTs,
  'demos/train/highlights.ts': highlightsTs,
  'demos/train/sources.ts': sourcesTs,
};

/** The Source tab's files, in meta.sources order. */
export const SOURCES = sourcesInOrder(meta.sources, TEXTS, 'demos/train/sources.ts');
