/**
 * The texts the Source tab shows (meta.sources, WGSL first) and the stage search reads, imported
 * raw so that the page shows exactly the files it was built from.
 */
import dropoutWgsl from '../../shaders/dropout.wgsl?raw';
import philoxWgsl from '../../shaders/philox.wgsl?raw';
import dropoutOpTs from '../../engine/ops/dropout.ts?raw';
import philoxTs from '../../engine/random/philox.ts?raw';
import mainTs from './main.ts?raw';
import keepBarTs from './keep-bar.ts?raw';
import maskSectionTs from './mask-section.ts?raw';
import trainingSectionTs from './training-section.ts?raw';
import compareSectionTs from './compare-section.ts?raw';
import highlightsTs from './highlights.ts?raw';
import sourcesTs from './sources.ts?raw';
import trainerTs from './trainer.ts?raw';
import adjustableTs from './adjustable-dropout.ts?raw';
import derivationTs from './derivation.ts?raw';
import wgslLinesTs from './wgsl-lines.ts?raw';
import compareTs from './compare.ts?raw';
import maskGridTs from './mask-grid.ts?raw';
import derivationViewTs from './derivation-view.ts?raw';
import compareViewTs from './compare-view.ts?raw';
import memoryTs from './memory.ts?raw';
import { meta } from './meta';
import { sourcesInOrder } from '../shared/source';

/** Each file's text by repository path. */
export const TEXTS: Record<string, string> = {
  'shaders/dropout.wgsl': dropoutWgsl,
  'shaders/philox.wgsl': philoxWgsl,
  'engine/ops/dropout.ts': dropoutOpTs,
  'engine/random/philox.ts': philoxTs,
  'demos/dropout/main.ts': mainTs,
  'demos/dropout/keep-bar.ts': keepBarTs,
  'demos/dropout/mask-section.ts': maskSectionTs,
  'demos/dropout/training-section.ts': trainingSectionTs,
  'demos/dropout/compare-section.ts': compareSectionTs,
  'demos/dropout/highlights.ts': highlightsTs,
  'demos/dropout/sources.ts': sourcesTs,
  'demos/dropout/trainer.ts': trainerTs,
  'demos/dropout/adjustable-dropout.ts': adjustableTs,
  'demos/dropout/derivation.ts': derivationTs,
  'demos/dropout/wgsl-lines.ts': wgslLinesTs,
  'demos/dropout/compare.ts': compareTs,
  'demos/dropout/mask-grid.ts': maskGridTs,
  'demos/dropout/derivation-view.ts': derivationViewTs,
  'demos/dropout/compare-view.ts': compareViewTs,
  'demos/dropout/memory.ts': memoryTs,
};
/** The Source tab's files, in meta.sources order. */
export const SOURCES = sourcesInOrder(meta.sources, TEXTS, 'demos/dropout/sources.ts');
