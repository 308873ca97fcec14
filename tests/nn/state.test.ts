/**
 * A model's whole state: parameters AND non-trained buffers (batch norm's running statistics).
 * A GPU snapshot restores both bit for bit; a checkpoint (exportState) loaded into a fresh model of
 * the same layout reproduces the same state bit for bit and the same inference outputs (same
 * kernels on the same values: exact); a checkpoint missing a buffer is refused by name.
 */
import { describe, expect, it } from 'vitest';
import { constant, noGrad, tidy } from '../../engine/autograd/index';
import { BatchNorm } from '../../engine/nn/batchnorm';
import { createMlp } from '../../engine/nn/mlp';
import { randomArray, useRuntime } from '../helpers/gpu';

describe('model state: parameters and buffers', () => {
  const rt = useRuntime();
  const make = (seed: number) =>
    createMlp(rt(), { sizes: [6, 5, 3], seed, insert: [(s) => (s.kind === 'preActivation' ? [new BatchNorm(`bn${s.index}`, s.width)] : [])] });

  it('snapshot/restore and exportState/loadState cover the running statistics', async () => {
    const a = make(1);
    expect(a.buffers.buffers.map((b) => b.name)).toEqual(['bn1.runningMean', 'bn1.runningVar']);
    const x = rt().tensor(randomArray(8 * 6, 3), [8, 6]);
    const infer = async (m: ReturnType<typeof make>): Promise<Float32Array> => {
      const y = noGrad(() => tidy(() => m.forward(constant(x), { training: false, step: 0 }).data));
      const v = (await y.toArray()) as Float32Array;
      y.dispose();
      return v;
    };
    // Training-mode passes move the running statistics away from their initial (0, 1).
    noGrad(() => tidy(() => a.forward(constant(x), { training: true, step: 0 })));
    const snap = a.snapshot();
    const state = await a.exportState();
    expect(Array.from(state.buffers['bn1.runningVar']).some((v) => v !== 1)).toBe(true);
    const before = await infer(a);
    noGrad(() => tidy(() => a.forward(constant(x), { training: true, step: 1 })));
    a.arena.setValues('fc1.weight', new Float32Array(30));
    expect(await infer(a)).not.toEqual(before);
    a.restore(snap);
    expect(await a.exportState()).toEqual(state);
    expect(await infer(a)).toEqual(before);

    const b = make(2);
    expect(await infer(b)).not.toEqual(before);
    b.loadState(state);
    expect(await b.exportState()).toEqual(state);
    expect(await infer(b)).toEqual(before);
    const { 'bn1.runningVar': _dropped, ...partial } = state.buffers;
    expect(() => b.loadState({ params: state.params, buffers: partial })).toThrow(/no buffer "bn1.runningVar"/);
    snap.dispose();
    a.dispose();
    b.dispose();
    x.dispose();
  });
});
