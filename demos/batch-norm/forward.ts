/**
 * Forward passes that stop to look: run a model's layers in order and keep the outputs of the
 * layers named (a hidden layer's pre-activation, batch norm's input), with no tape and everything
 * else freed. And evaluation in either batch-norm mode (the engine's `evaluate` always uses the
 * running statistics).
 */
import {
  ArgumentError,
  constant,
  evaluate,
  noGrad,
  tidy,
  type ForwardContext,
  type GpuDataset,
  type Metrics,
  type Sequential,
  type Tensor,
} from 'webgpu-regularization';

/** The outputs of the layers called `names` ([rows, units] each, in the order of `names`), for input `x`. */
export function captureOutputs(model: Sequential, x: Tensor, names: readonly string[], ctx: ForwardContext): Tensor<'f32'>[] {
  for (const n of names) model.layer(n); // throws naming the layers if one is missing
  return noGrad(() =>
    tidy(() => {
      const found = new Map<string, Tensor<'f32'>>();
      let h = constant(x);
      for (const l of model.layers) {
        h = l.forward(h, ctx);
        // Layers of an MLP map f32 activations to f32 activations.
        if (names.includes(l.name)) found.set(l.name, h.data as Tensor<'f32'>);
        if (found.size === names.length) break;
      }
      return names.map((n) => found.get(n)!);
    }),
  );
}

/** Which statistics batch norm normalizes with. */
export type StatsMode = 'batch' | 'running';

/** The forward context of an evaluation pass in `mode` (never training: the running statistics stay as they are). */
export function evalContext(mode: StatsMode): ForwardContext {
  return { training: false, batchStats: mode === 'batch', step: 0 };
}

/**
 * Loss and accuracy over `data` in batches of `batchSize`, batch norm in `mode` (the engine's
 * `evaluate`, its model seen through a context that picks the statistics). `batchSize` must divide
 * the number of examples: a smaller last batch would have different batch statistics (and one row
 * none at all).
 */
export function evaluateIn(model: Sequential, data: GpuDataset, batchSize: number, mode: StatsMode): Promise<Metrics> {
  if (data.count % batchSize !== 0) throw new ArgumentError(`evaluateIn: batch size ${batchSize} does not divide the ${data.count} examples`);
  const batchStats = mode === 'batch';
  return evaluate({ forward: (x, ctx) => model.forward(x, { ...ctx, batchStats }) }, data, batchSize);
}
