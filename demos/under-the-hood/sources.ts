/**
 * The texts the Source tab shows (meta.sources, WGSL first), imported raw: exactly what the page was
 * built from; and where a kernel's entry function sits in them, to mark it.
 */
import matmulWgsl from '../../shaders/matmul.wgsl?raw';
import dropoutWgsl from '../../shaders/dropout.wgsl?raw';
import xentWgsl from '../../shaders/softmax_xent.wgsl?raw';
import chainWgsl from '../../shaders/update_chain.wgsl?raw';
import elementwiseWgsl from '../../shaders/elementwise.wgsl?raw';
import unaryWgsl from '../../shaders/unary.wgsl?raw';
import reduceWgsl from '../../shaders/reduce_axes.wgsl?raw';
import fmaWgsl from '../../shaders/fma_peak.wgsl?raw';
import bandwidthWgsl from '../../shaders/bandwidth.wgsl?raw';
import mainTs from './main.ts?raw';
import introSectionTs from './intro-section.ts?raw';
import stepSectionTs from './step-section.ts?raw';
import kernelsSectionTs from './kernels-section.ts?raw';
import fusionSectionTs from './fusion-section.ts?raw';
import measureTs from './measure.ts?raw';
import stepTs from './step.ts?raw';
import costsTs from './costs.ts?raw';
import profileTs from '../../engine/runtime/profile.ts?raw';
import sourcesTs from './sources.ts?raw';
import { sourcesInOrder } from '../shared/source';
import { meta } from './meta';

const TEXTS: Record<string, string> = {
  'shaders/matmul.wgsl': matmulWgsl,
  'shaders/dropout.wgsl': dropoutWgsl,
  'shaders/softmax_xent.wgsl': xentWgsl,
  'shaders/update_chain.wgsl': chainWgsl,
  'shaders/elementwise.wgsl': elementwiseWgsl,
  'shaders/unary.wgsl': unaryWgsl,
  'shaders/reduce_axes.wgsl': reduceWgsl,
  'shaders/fma_peak.wgsl': fmaWgsl,
  'shaders/bandwidth.wgsl': bandwidthWgsl,
  'demos/under-the-hood/main.ts': mainTs,
  'demos/under-the-hood/intro-section.ts': introSectionTs,
  'demos/under-the-hood/step-section.ts': stepSectionTs,
  'demos/under-the-hood/kernels-section.ts': kernelsSectionTs,
  'demos/under-the-hood/fusion-section.ts': fusionSectionTs,
  'demos/under-the-hood/measure.ts': measureTs,
  'demos/under-the-hood/step.ts': stepTs,
  'demos/under-the-hood/costs.ts': costsTs,
  'engine/runtime/profile.ts': profileTs,
  'demos/under-the-hood/sources.ts': sourcesTs,
};

/** The Source tab's files, in meta.sources order. */
export const SOURCES = sourcesInOrder(meta.sources, TEXTS, 'demos/under-the-hood/sources.ts');

/**
 * The lines of `entry`'s function in the WGSL file `path` (its `@compute` line to its closing brace),
 * found by searching the text; none when the file is not shown or has no such function.
 */
export function entryLines(path: string, entry: string): Set<number> {
  const lines = (TEXTS[path] ?? '').split('\n');
  const at = lines.findIndex((l) => new RegExp(`^fn ${entry}\\b`).test(l));
  if (at < 0) return new Set();
  const start = at > 0 && lines[at - 1].startsWith('@compute') ? at - 1 : at;
  let end = at;
  while (end < lines.length - 1 && lines[end] !== '}') end++;
  return new Set(Array.from({ length: end - start + 1 }, (_, i) => start + i + 1));
}
