/**
 * The texts the Source tab shows (meta.sources, WGSL first), imported raw so that the page shows
 * exactly the files it was built from.
 */
import updateChainWgsl from '../../shaders/update_chain.wgsl?raw';
import earlyStoppingTs from '../../regularizers/early-stopping.ts?raw';
import retrainTs from '../../regularizers/retrain.ts?raw';
import mainTs from './main.ts?raw';
import settingsTs from './settings.ts?raw';
import stoppingSectionTs from './stopping-section.ts?raw';
import quadraticSectionTs from './quadratic-section.ts?raw';
import quadraticTs from './quadratic.ts?raw';
import descentTs from './descent.ts?raw';
import planeTs from './plane.ts?raw';
import filtersTs from './filters.ts?raw';
import mnistRunTs from './mnist-run.ts?raw';
import curvesTs from './curves.ts?raw';
import retrainPanelTs from './retrain-panel.ts?raw';
import sourcesTs from './sources.ts?raw';
import { meta } from './meta';
import { sourcesInOrder } from '../shared/source';

const TEXTS: Record<string, string> = {
  'shaders/update_chain.wgsl': updateChainWgsl,
  'regularizers/early-stopping.ts': earlyStoppingTs,
  'regularizers/retrain.ts': retrainTs,
  'demos/early-stopping/main.ts': mainTs,
  'demos/early-stopping/settings.ts': settingsTs,
  'demos/early-stopping/stopping-section.ts': stoppingSectionTs,
  'demos/early-stopping/quadratic-section.ts': quadraticSectionTs,
  'demos/early-stopping/quadratic.ts': quadraticTs,
  'demos/early-stopping/descent.ts': descentTs,
  'demos/early-stopping/plane.ts': planeTs,
  'demos/early-stopping/filters.ts': filtersTs,
  'demos/early-stopping/mnist-run.ts': mnistRunTs,
  'demos/early-stopping/curves.ts': curvesTs,
  'demos/early-stopping/retrain-panel.ts': retrainPanelTs,
  'demos/early-stopping/sources.ts': sourcesTs,
};

/** The Source tab's files, in meta.sources order. */
export const SOURCES = sourcesInOrder(meta.sources, TEXTS, 'demos/early-stopping/sources.ts');
