/**
 * The soft threshold prox_τ(x) = sign(x)·max(|x| − τ, 0), the proximal operator of τ·‖x‖₁, and the
 * proximal gradient step w ← prox_{ε·α}(w − ε·g) that L1 regularization uses to reach exact zeros
 * (shaders/soft_threshold.wgsl). The threshold is one number, or one per element (α/Hᵢᵢ of eq. 7.23).
 * Each call is one dispatch. For a whole parameter arena in one dispatch see `ProximalL1`
 * (engine/optim/optimizers.ts: the chain sgd → proximalL1).
 */
import { ArgumentError, ShapeError } from '../runtime/errors';
import { grid1d } from '../runtime/grid';
import type { Runtime } from '../runtime/runtime';
import { fmtShape, type Tensor } from '../runtime/tensor';
import { assertF32 } from './broadcast';
import type { AdapterKind } from '../runtime/device';
import { sameShape } from './strided';

const WG = 256;

/**
 * Vec4s per invocation of the step's vec4 kernels (their `VPI`), per kind of adapter, chosen by
 * timing the choices side by side: CPU adapters pay a fixed cost per invocation, so they want
 * several vec4s each (lavapipe fewest, SwiftShader most); real GPUs (untested here) get 1, so that
 * neighbouring invocations read neighbouring memory. The prox bench suite measures the kernel.
 */
export const PROX_VEC4S_PER_INVOCATION: Readonly<Record<AdapterKind, number>> = { lavapipe: 2, swiftshader: 16, other: 1 };

/** Whether the step can run on vec4s: whole vec4s, every view 16-byte aligned. */
function vec4Ready(size: number, ...ts: Tensor[]): boolean {
  return size % 4 === 0 && ts.every((t) => t.byteOffset % 16 === 0);
}

/** The grid and `VPI` of a vec4 dispatch over `n4` vec4s. */
function vec4Launch(rt: Runtime, n4: number): { overrides: { WG: number; VPI: number }; workgroups: [number, number, number] } {
  const vpi = PROX_VEC4S_PER_INVOCATION[rt.info.kind];
  return { overrides: { WG, VPI: vpi }, workgroups: grid1d(Math.ceil(n4 / vpi), WG) };
}

function checkScalar(op: string, what: string, x: number): void {
  if (!(Number.isFinite(x) && x >= 0)) throw new ArgumentError(`${op}: ${what} must be a finite number ≥ 0, got ${x}`);
}

function checkSameShape(op: string, a: Tensor, b: Tensor, what: string): void {
  if (!sameShape(a.shape, b.shape)) throw new ShapeError(`${op}: ${what} ${fmtShape(b.shape)} does not match ${fmtShape(a.shape)}`);
}

/**
 * prox_τ(x) elementwise, into a new tensor. `tau` is a number, or a tensor of x's shape holding
 * each element's threshold. Values with |x| ≤ τ become +0.
 */
export function softThreshold(x: Tensor, tau: number | Tensor): Tensor<'f32'> {
  const op = 'softThreshold';
  assertF32(op, x);
  const rt = x.runtime;
  const out = rt.empty(x.shape);
  if (typeof tau === 'number') {
    checkScalar(op, 'tau', tau);
    rt.dispatch({
      shader: 'soft_threshold',
      entry: 'prox',
      overrides: { WG },
      uniforms: { n: x.size, tau, lr: 0 },
      bindings: { a: x, out },
      workgroups: grid1d(x.size, WG),
    });
  } else {
    assertF32(op, tau);
    checkSameShape(op, x, tau, 'the thresholds');
    rt.dispatch({
      shader: 'soft_threshold',
      entry: 'prox_each',
      overrides: { WG },
      uniforms: { n: x.size, tau: 1, lr: 0 },
      bindings: { a: x, t: tau, out },
      workgroups: grid1d(x.size, WG),
    });
  }
  return out;
}

/**
 * One proximal gradient step for L1, in place: w ← prox_τ(w − ε·g) with τ = ε·α. Lengths that are
 * multiples of 4 run on vec4s (same arithmetic per element, same bits). `l1` is α, one
 * number (then τ = ε·α is rounded once to f32 on the host) or a tensor of w's shape holding αᵢ
 * (e.g. α/Hᵢᵢ; then τᵢ = ε·αᵢ is computed in f32 in the shader). Returns `w`.
 */
export function softThresholdStep(w: Tensor<'f32'>, g: Tensor, lr: number, l1: number | Tensor): Tensor<'f32'> {
  const op = 'softThresholdStep';
  assertF32(op, w, g);
  checkSameShape(op, w, g, 'the gradient');
  checkScalar(op, 'lr', lr);
  if (w.buffer === g.buffer) throw new ArgumentError(`${op}: the weights ${fmtShape(w.shape)} and the gradient live in the same GPU buffer`);
  const rt = w.runtime;
  const n4 = w.size / 4;
  if (typeof l1 === 'number') {
    checkScalar(op, 'l1', l1);
    const uniforms = { n: w.size, tau: lr * l1, lr };
    if (vec4Ready(w.size, w, g))
      rt.dispatch({ shader: 'soft_threshold', entry: 'prox_step4', ...vec4Launch(rt, n4), uniforms: { ...uniforms, n: n4 }, bindings: { w4: w, g4: g } });
    else rt.dispatch({ shader: 'soft_threshold', entry: 'prox_step', overrides: { WG }, uniforms, bindings: { w, g }, workgroups: grid1d(w.size, WG) });
  } else {
    assertF32(op, l1);
    checkSameShape(op, w, l1, 'the L1 coefficients');
    if (l1.buffer === w.buffer) throw new ArgumentError(`${op}: the weights ${fmtShape(w.shape)} and the L1 coefficients live in the same GPU buffer`);
    const uniforms = { n: w.size, tau: lr, lr };
    if (vec4Ready(w.size, w, g, l1))
      rt.dispatch({
        shader: 'soft_threshold',
        entry: 'prox_step_each4',
        ...vec4Launch(rt, n4),
        uniforms: { ...uniforms, n: n4 },
        bindings: { w4: w, g4: g, t4: l1 },
      });
    else
      rt.dispatch({
        shader: 'soft_threshold',
        entry: 'prox_step_each',
        overrides: { WG },
        uniforms,
        bindings: { w, g, t: l1 },
        workgroups: grid1d(w.size, WG),
      });
  }
  return w;
}
