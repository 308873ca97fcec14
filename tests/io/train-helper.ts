/**
 * A small training set-up shared by the checkpoint tests: an MLP with batch norm (running
 * statistics: buffers) and hidden dropout (masks keyed by the step), trained on a synthetic problem
 * whose batch at step s depends on s alone, so that a run resumed at step s repeats exactly what an
 * uninterrupted run does from s on.
 */
import { BatchNorm, createMlp, trainOnBatch, type Optimizer, type Runtime, type Sequential } from '../../engine/index';
import { syntheticArgmax } from '../helpers/random';

export const PROBLEM = { features: 6, hidden: 8, classes: 3, count: 48, batch: 8 } as const;

/** The MLP 6-8-3 with batch norm before the hidden ReLU and hidden dropout ½, initialized from `seed`. */
export function makeModel(rt: Runtime, seed: number, opts: { batchNorm?: boolean; hidden?: number } = {}): Sequential {
  const { features, classes } = PROBLEM;
  const hidden = opts.hidden ?? PROBLEM.hidden;
  const bn = opts.batchNorm ?? true;
  return createMlp(rt, {
    sizes: [features, hidden, classes],
    seed,
    hiddenDropout: { rate: 0.5 },
    insert: [(s) => (bn && s.kind === 'preActivation' ? [new BatchNorm(`bn${s.index}`, s.width)] : [])],
  });
}

const data = syntheticArgmax(PROBLEM.count, PROBLEM.features, PROBLEM.classes, 11);

/** Records training steps `from` + 1 … `to` (1-based step numbers); the batch of step s is a function of s. */
export function trainSteps(rt: Runtime, model: Sequential, optimizer: Optimizer, from: number, to: number): void {
  const { features, classes, count, batch } = PROBLEM;
  for (let s = from + 1; s <= to; s++) {
    const rows = Array.from({ length: batch }, (_, i) => (s * batch + i * 5) % count);
    const x = new Float32Array(batch * features);
    const t = new Float32Array(batch * classes);
    rows.forEach((r, i) => {
      x.set(data.x.subarray(r * features, (r + 1) * features), i * features);
      t[i * classes + data.y[r]] = 1;
    });
    const xt = rt.tensor(x, [batch, features]);
    const tt = rt.tensor(t, [batch, classes]);
    trainOnBatch(model, optimizer, xt, tt, s);
    xt.dispose();
    tt.dispose();
  }
}

/** Everything a checkpoint covers, read back: parameters, buffers, optimizer slots (arena layout) and the step count. */
export async function fullState(
  model: Sequential,
  optimizer?: Optimizer,
): Promise<{ params: Record<string, number[]>; buffers: Record<string, number[]>; slots: Record<string, number[]>; steps: number | undefined }> {
  const s = await model.exportState();
  const asBits = (r: Record<string, Float32Array>) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length))]));
  const slots: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(optimizer?.stateTensors() ?? {})) slots[k] = (await t.toArray()) as Float32Array;
  return { params: asBits(s.params), buffers: asBits(s.buffers), slots: asBits(slots), steps: optimizer?.steps };
}
