/**
 * How much arithmetic and memory traffic each kernel does, from what the profiler recorded (the
 * WGSL file, the entry point and the uniforms the call site wrote): the two numbers a roofline
 * needs. Traffic is the minimum: every input read once, every output written once, an in-place
 * operand both read and written. FLOPs are floating-point adds, multiplies and the like; the
 * integer rounds of dropout's Philox generator are not FLOPs and are not counted (they are why
 * dropout sits below the bandwidth line more than its FLOPs would say).
 */
import type { ProfiledDispatch } from 'webgpu-regularization';

/** Kernel families, one colour each on the page. */
export type Family = 'matmul' | 'dropout' | 'softmax-xent' | 'update' | 'elementwise' | 'reduce' | 'ceiling';

/** The cost of one dispatch. */
export interface KernelCost {
  flops: number;
  bytes: number;
  family: Family;
  /** What the kernel computed, with its sizes. */
  label: string;
  /** True when the counts come from the generic rule (bound bytes, one FLOP per element). */
  estimated: boolean;
}

/** Colours of the families (chart dots and timeline). */
export const FAMILY_COLOR: Readonly<Record<Family, string>> = {
  matmul: '#1f6feb',
  dropout: '#e36209',
  'softmax-xent': '#8250df',
  update: '#1a7f37',
  elementwise: '#6e7781',
  reduce: '#0a8a8a',
  ceiling: '#b42318',
};

const F = 4; // bytes per f32

function u(d: ProfiledDispatch, name: string): number {
  const v = d.uniforms[name];
  if (typeof v !== 'number') throw new Error(`costs: ${d.file} @compute ${d.entry} has no numeric uniform "${name}"`);
  return v;
}

/** A count with thousands separators: 12345 → "12,345". */
const countText = (n: number): string => n.toLocaleString('en-US');

function matmulCost(d: ProfiledDispatch): KernelCost {
  const m = u(d, 'm');
  const n = u(d, 'n');
  const k = u(d, 'k');
  const bias = u(d, 'has_bias') === 1;
  const relu = u(d, 'relu') === 1;
  const ta = d.overrides.TRANS_A === 1;
  const tb = d.overrides.TRANS_B === 1;
  const dropout = !!d.overrides.DROPOUT;
  const gate = !!d.overrides.GATE;
  const what = ta ? 'Aᵀ·B' : tb ? 'A·Bᵀ' : 'A·B';
  // The epilogue: bias, ReLU, then dropout's mask drawn in place (forward), or the regenerated mask
  // and the ReLU gate of the layer below (the hidden gradient, which reads that layer's output).
  const extra = [bias ? '+bias' : '', relu ? 'relu' : '', dropout ? 'dropout mask' : '', gate ? 'gate' : ''].filter((s) => s).join(', ');
  return {
    flops: 2 * m * n * k + (bias ? m * n : 0) + (relu ? m * n : 0),
    bytes: F * (m * k + k * n + m * n + (bias ? n : 0) + (gate ? m * n : 0)),
    family: 'matmul',
    label: `${m}×${n} = ${what}, k=${k}${extra ? ` (${extra})` : ''}`,
    estimated: false,
  };
}

/** Elementwise kernels: FLOPs and f32 streams per element. */
const PER_ELEMENT: Readonly<Record<string, readonly [flops: number, streams: number, what: string]>> = {
  'elementwise:add': [1, 3, 'a + b'],
  'elementwise:mul': [1, 3, 'a ⊙ b'],
  'elementwise:scale': [1, 2, 'α·a'],
  'elementwise:relu': [1, 2, 'relu'],
  'elementwise:fill': [0, 1, 'fill (zero the gradients)'],
  'elementwise:add_into': [2, 3, 'out += α·a (gradient accumulation)'],
  'unary:relu_grad': [1, 3, 'relu backward'],
  'bandwidth:copy': [0, 2, 'copy (bandwidth ceiling)'],
  'bandwidth:axpy': [2, 3, 'a·x + y'],
};

/** Optimizer rules (entry points of update_chain.wgsl with one penalty): FLOPs per parameter and f32 streams (w, g, state; w and state read and written). */
const UPDATE: Readonly<Record<string, readonly [flops: number, streams: number]>> = {
  chain_sgd: [6, 3],
  chain_momentum: [8, 5],
  chain_adam: [18, 7],
};

function boundBytes(d: ProfiledDispatch, name: string): number {
  return d.bindings.find((b) => b.name === name)?.bytes ?? 0;
}

/** The cost of a recorded dispatch (see the file's comment for what is counted). */
export function kernelCost(d: ProfiledDispatch): KernelCost {
  const file = d.file.replace(/^.*\//, '').replace(/\.wgsl$/, '');
  const key = `${file}:${d.entry}`;
  if (file === 'matmul') return matmulCost(d);
  if (file === 'dropout') {
    const n = u(d, 'n');
    const mask = d.entry.endsWith('_mask');
    const keep = u(d, 'threshold') / 65536;
    return {
      flops: n,
      bytes: F * n * (mask ? 3 : 2),
      family: 'dropout',
      label: `${countText(n)} elements, keep ${keep.toFixed(2)}${mask ? ', mask stored' : ', mask regenerated'}`,
      estimated: false,
    };
  }
  if (file === 'softmax_xent' && (d.entry === 'xent_reduce' || d.entry === 'xent_backward')) {
    const r = u(d, 'rows');
    const k = u(d, 'k');
    const fwd = d.entry === 'xent_reduce';
    return {
      // Per logit: max, subtract, exp, add, and the target product (forward); exp, divide, subtract, scale (backward).
      flops: (fwd ? 5 : 4) * r * k,
      bytes: F * (fwd ? 2 * r * k + 1 : 3 * r * k + 1),
      family: 'softmax-xent',
      label: `${r}×${k} logits, ${fwd ? 'loss (log-sum-exp, one workgroup)' : 'gradient softmax − target'}`,
      estimated: false,
    };
  }
  if (file === 'reduce_axes' && d.entry === 'sum_axes') {
    const nOut = u(d, 'n_out');
    const nRed = u(d, 'n_red');
    return {
      flops: nOut * nRed,
      bytes: F * (nOut * nRed + nOut),
      family: 'reduce',
      label: `bias gradient: ${countText(nOut)} sums of ${countText(nRed)}`,
      estimated: false,
    };
  }
  if (file === 'update_chain' && UPDATE[d.entry]) {
    const n = 4 * u(d, 'n4');
    const [fl, streams] = UPDATE[d.entry];
    const table = boundBytes(d, 'coefs');
    return {
      flops: fl * n,
      bytes: F * streams * n + table,
      family: 'update',
      label: `${d.entry} over ${countText(n)} parameters`,
      estimated: false,
    };
  }
  if (file === 'fma_peak') {
    const inv = d.grid[0] * d.grid[1] * d.grid[2] * (d.overrides.WG ?? 64);
    return {
      flops: inv * u(d, 'iters') * 64,
      bytes: F * inv,
      family: 'ceiling',
      label: `${countText(inv)} invocations × ${u(d, 'iters')} rounds of 8 vec4 FMAs`,
      estimated: false,
    };
  }
  const per = PER_ELEMENT[key];
  if (per) {
    const n = file === 'bandwidth' ? 4 * u(d, 'n4') : u(d, 'n');
    return {
      flops: per[0] * n,
      bytes: F * per[1] * n,
      family: file === 'bandwidth' ? 'ceiling' : 'elementwise',
      label: `${per[2]}, ${countText(n)} elements`,
      estimated: false,
    };
  }
  // Anything else: each bound buffer once, one FLOP per element of the largest.
  const bytes = d.bindings.reduce((s, b) => s + b.bytes, 0);
  const largest = Math.max(0, ...d.bindings.map((b) => b.bytes));
  return { flops: largest / F, bytes, family: 'elementwise', label: `${d.entry} (estimated from its bindings)`, estimated: true };
}
