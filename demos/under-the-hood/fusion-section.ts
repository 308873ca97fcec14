/** "Fused against unfused": the pairs of kernels doing the same arithmetic, rows added as they are measured. */
import { el } from '../shared/dom';
import type { Comparison } from './measure';
import { comparisonTable } from './views';

/** The panel; `start` empties the table and returns the function that adds a row. */
export interface FusionSection {
  readonly element: HTMLElement;
  start(): (c: Comparison) => void;
}

export function fusionSection(): FusionSection {
  const element = el('section', 'panel');
  const fusion = el('div');
  element.append(
    el('h2', undefined, 'Fused against unfused'),
    el(
      'p',
      'note',
      'Each pair does the same arithmetic. Dispatches come from the runtime’s own counters (workStats), times from the same clock as the kernels; each side is recorded many times into one batch and submitted once, the two sides sampled in turn from the same weights.',
    ),
    fusion,
    el(
      'p',
      'note',
      'Fusion saves twice: a dispatch not made (its launch, and the barrier after it), and a pass over memory not made (the stored mask, the α·w temporary, the re-read of the arena). On a software adapter a matmul takes milliseconds and a launch tens of microseconds, so the whole step gains little; on a GPU, where this step’s kernels take microseconds each, launches and extra passes over memory weigh far more: open this page there to see by how much.',
    ),
  );
  return {
    element,
    start() {
      fusion.replaceChildren();
      return comparisonTable(fusion);
    },
  };
}
