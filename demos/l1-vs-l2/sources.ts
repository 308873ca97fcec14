/** The texts the Source tab shows (meta.sources, WGSL first), imported raw: exactly what the page was built from. */
import updateChainWgsl from '../../shaders/update_chain.wgsl?raw';
import chainTs from '../../engine/optim/chain.ts?raw';
import penaltiesTs from '../../regularizers/penalties.ts?raw';
import mainTs from './main.ts?raw';
import quadraticTs from './quadratic.ts?raw';
import solverTs from './solver.ts?raw';
import planeViewTs from './plane-view.ts?raw';
import trainerTs from './l1-trainer.ts?raw';
import weightViewsTs from './weight-views.ts?raw';
import sourcesTs from './sources.ts?raw';
import zeroChartTs from './zero-chart.ts?raw';
import mnistSectionTs from './mnist-section.ts?raw';
import planeSectionTs from './plane-section.ts?raw';
import lossSurfaceTs from './loss-surface.ts?raw';
import surfaceViewTs from './surface-view.ts?raw';
import surfaceSectionTs from './surface-section.ts?raw';
import { meta } from './meta';
import { sourcesInOrder } from '../shared/source';

const TEXTS: Record<string, string> = {
  'shaders/update_chain.wgsl': updateChainWgsl,
  'engine/optim/chain.ts': chainTs,
  'regularizers/penalties.ts': penaltiesTs,
  'demos/l1-vs-l2/main.ts': mainTs,
  'demos/l1-vs-l2/quadratic.ts': quadraticTs,
  'demos/l1-vs-l2/solver.ts': solverTs,
  'demos/l1-vs-l2/plane-view.ts': planeViewTs,
  'demos/l1-vs-l2/l1-trainer.ts': trainerTs,
  'demos/l1-vs-l2/weight-views.ts': weightViewsTs,
  'demos/l1-vs-l2/sources.ts': sourcesTs,
  'demos/l1-vs-l2/zero-chart.ts': zeroChartTs,
  'demos/l1-vs-l2/mnist-section.ts': mnistSectionTs,
  'demos/l1-vs-l2/plane-section.ts': planeSectionTs,
  'demos/l1-vs-l2/loss-surface.ts': lossSurfaceTs,
  'demos/l1-vs-l2/surface-view.ts': surfaceViewTs,
  'demos/l1-vs-l2/surface-section.ts': surfaceSectionTs,
};

/** The Source tab's files, in meta.sources order. */
export const SOURCES = sourcesInOrder(meta.sources, TEXTS, 'demos/l1-vs-l2/sources.ts');
