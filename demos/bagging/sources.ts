/**
 * The texts the Source tab shows (meta.sources, WGSL first), imported raw so that the page shows
 * exactly the files it was built from.
 */
import dropoutWgsl from '../../shaders/dropout.wgsl?raw';
import elementwiseWgsl from '../../shaders/elementwise.wgsl?raw';
import baggingTs from '../../regularizers/bagging.ts?raw';
import ensembleTs from '../../engine/train/ensemble.ts?raw';
import dropoutTs from '../../regularizers/dropout.ts?raw';
import mainTs from './main.ts?raw';
import settingsBarTs from './settings-bar.ts?raw';
import baggingSectionTs from './bagging-section.ts?raw';
import dropoutSectionTs from './dropout-section.ts?raw';
import membersTs from './members.ts?raw';
import statsTs from './stats.ts?raw';
import ensembleViewTs from './ensemble-view.ts?raw';
import errorChartTs from './error-chart.ts?raw';
import galleryTs from './gallery.ts?raw';
import resampleStripTs from './resample-strip.ts?raw';
import digitCanvasTs from '../shared/digit-canvas.ts?raw';
import sourcesTs from './sources.ts?raw';
import { meta } from './meta';
import { sourcesInOrder } from '../shared/source';

const TEXTS: Record<string, string> = {
  'shaders/dropout.wgsl': dropoutWgsl,
  'shaders/elementwise.wgsl': elementwiseWgsl,
  'regularizers/bagging.ts': baggingTs,
  'engine/train/ensemble.ts': ensembleTs,
  'regularizers/dropout.ts': dropoutTs,
  'demos/bagging/main.ts': mainTs,
  'demos/bagging/settings-bar.ts': settingsBarTs,
  'demos/bagging/bagging-section.ts': baggingSectionTs,
  'demos/bagging/dropout-section.ts': dropoutSectionTs,
  'demos/bagging/members.ts': membersTs,
  'demos/bagging/stats.ts': statsTs,
  'demos/bagging/ensemble-view.ts': ensembleViewTs,
  'demos/bagging/error-chart.ts': errorChartTs,
  'demos/bagging/gallery.ts': galleryTs,
  'demos/bagging/resample-strip.ts': resampleStripTs,
  'demos/shared/digit-canvas.ts': digitCanvasTs,
  'demos/bagging/sources.ts': sourcesTs,
};

/** The Source tab's files, in meta.sources order. */
export const SOURCES = sourcesInOrder(meta.sources, TEXTS, 'demos/bagging/sources.ts');
