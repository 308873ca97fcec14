/**
 * Gradient descent on the quadratic J(w) = ½(w − w*)ᵀH(w − w*), on the GPU, as a user of the
 * engine would train any model: the parameter lives in a ParamArena, the gradient H(w − w*) comes
 * from the tape (sub, matmul, mul, sum, scale; backward), and the update is the engine's fused
 * optimizer, `chain(sgd({ lr: ε }))` (shaders/update_chain.wgsl). After every step the parameter is
 * copied GPU-to-GPU into row t of a trajectory buffer, read back once at the end.
 */
import { ag, chain, fill, ParamArena, sgd, type Runtime } from 'webgpu-regularization';
import type { Quadratic } from './quadratic';

/** w⁽⁰⁾ … w⁽ˢᵗᵉᵖˢ⁾ as computed by the GPU: row t is [w₁, w₂] after t steps (row 0 is the start, 0). */
export async function descentOnGpu(rt: Runtime, p: Quadratic, eps: number, steps: number): Promise<Float32Array> {
  const arena = ParamArena.create(rt, [{ name: 'w', shape: [2, 1], role: 'weight', layer: 'quadratic' }]);
  const pw = arena.param('w');
  const opt = chain(sgd({ lr: eps })).init(arena);
  const h = rt.tensor(Float32Array.from(p.h), [2, 2]);
  const wStar = rt.tensor(Float32Array.from(p.wStar), [2, 1]);
  const trajectory = fill(rt.empty([steps + 1, 2]), 0);
  try {
    const w = ag.param(pw.value, pw.grad, 'w');
    for (let t = 1; t <= steps; t++) {
      arena.zeroGrads();
      const e = ag.sub(w, ag.constant(wStar));
      const loss = ag.scale(ag.sum(ag.mul(e, ag.matmul(ag.constant(h), e))), 0.5);
      ag.backward(loss);
      loss.dispose();
      opt.step();
      rt.copy(pw.value, { buffer: trajectory.buffer, offset: trajectory.byteOffset + 8 * t, size: 8 }, 8);
      // Submit in slices so the recorded batch stays small.
      if (t % 64 === 0) rt.flush();
    }
    return (await trajectory.toArray()) as Float32Array;
  } finally {
    opt.dispose();
    arena.dispose();
    h.dispose();
    wStar.dispose();
    trajectory.dispose();
  }
}
