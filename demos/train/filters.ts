/**
 * The CNN's first-layer filters, read back while it trains. A training-loop plugin starts a read of
 * conv1's weights after the update of every `every`-th step and hands them over when the read lands;
 * the step never awaits it. A read records its copy where it is called, so it holds that step's
 * values even though later steps are recorded before it lands; at most one is in flight (a turn
 * that finds one pending is skipped), as the loop's own per-step metrics are read (engine/train/loop.ts).
 */
import type { Sequential, TrainingPlugin } from 'webgpu-regularization';

/** conv1's filters as read: `values` in the arena's layout [kh, kw, 1, count]. */
export interface FilterBank {
  /** Steps taken when they were read (the x of the curves). */
  step: number;
  /** The filters' side (5) and their number (conv1's output channels). */
  kernel: number;
  count: number;
  values: Float32Array;
}

/** The first layer's weight parameter of `model`, if it is a single-channel convolution (the CNN's conv1). */
function firstFilters(model: Sequential) {
  const p = model.arena.params.find((q) => q.layer === 'conv1' && q.role === 'weight');
  return p && p.shape.length === 4 && p.shape[0] === p.shape[1] && p.shape[2] === 1 ? p : undefined;
}

/** Whether `model` has first-layer filters to draw (the CNN does, the MLP does not). */
export function hasFilters(model: Sequential): boolean {
  return firstFilters(model) !== undefined;
}

/** Reads `model`'s conv1 filters now (the copy is recorded at once); null for a model without them. */
export async function readFilters(model: Sequential, step: number): Promise<FilterBank | null> {
  const p = firstFilters(model);
  if (!p) return null;
  const values = (await p.value.toArray()) as Float32Array;
  return { step, kernel: p.shape[0], count: p.shape[3], values };
}

/** Filter `f` of `bank` as kernel × kernel weights, row-major (y, then x). */
export function filterPixels(bank: FilterBank, f: number): Float32Array {
  const k = bank.kernel;
  const out = new Float32Array(k * k);
  for (let i = 0; i < k * k; i++) out[i] = bank.values[i * bank.count + f];
  return out;
}

/** The Euclidean norm of each filter, and of the whole bank (the L2 penalty's ‖W₁‖). */
export function filterNorms(bank: FilterBank): { each: number[]; total: number } {
  const each = Array.from({ length: bank.count }, (_, f) => Math.hypot(...filterPixels(bank, f)));
  return { each, total: Math.hypot(...each) };
}

/**
 * A plugin that reads `model`'s filters after every `every`-th step's update and gives each bank to
 * `sink` when it lands (in step order: one read at a time). `idle()` resolves once no read is pending.
 */
export function filterReader(every: number, sink: (bank: FilterBank) => void): TrainingPlugin & { idle(): Promise<void> } {
  let pending: Promise<void> | null = null;
  return {
    name: 'filter readback',
    afterUpdate(ctx) {
      const taken = ctx.step + 1;
      if (taken % every !== 0 || pending || !hasFilters(ctx.model)) return;
      pending = readFilters(ctx.model, taken)
        .then((bank) => {
          if (bank) sink(bank);
        })
        .finally(() => {
          pending = null;
        });
      // A failed read (a lost device) surfaces at the loop's next read-back; it must not be unhandled here.
      pending.catch(() => undefined);
    },
    async idle() {
      await pending?.catch(() => undefined);
    },
  };
}
