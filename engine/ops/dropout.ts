/**
 * Fused dropout (shaders/dropout.wgsl): y = x ⊙ m / p ("inverted") or y = x ⊙ m ("none", for the
 * weight scaling inference rule), with p the KEEP probability and m ~ Bernoulli(p) drawn inside the
 * shader from Philox4x32-R (R = `PHILOX_ROUNDS`, engine/random/philox.ts), keyed by (seed, stream,
 * offset) and the element index. One dispatch, no mask stored: the backward pass regenerates the
 * same mask from the same key. The key layout is documented at the top of the WGSL file;
 * {@link dropoutMaskCpu} computes the same mask on the CPU.
 */
import { ArgumentError } from '../runtime/errors';
import { grid1d } from '../runtime/grid';
import type { Tensor } from '../runtime/tensor';
import { checkPhiloxRounds, mulhilo32, philox4x32, PHILOX_M0, PHILOX_M1, PHILOX_ROUNDS, PHILOX_W0, PHILOX_W1 } from '../random/philox';
import { assertF32 } from './broadcast';

const WG = 256;
const TWO_32 = 2 ** 32;
const TWO_16 = 2 ** 16;

/** What identifies one mask: the same key gives the same mask, bit for bit, on any adapter and the CPU. */
export interface DropoutKey {
  /** Probability of KEEPING a unit, in (0, 1]. */
  keepProb: number;
  /** The seed: an integer in [0, 2⁵³), the Philox key. */
  seed: number;
  /** The training step, or any integer in [0, 2⁵³) the caller advances between calls. */
  offset: number;
  /** Which random feature (e.g. one per layer), so features sharing a seed and step differ. Default 0. */
  stream?: number;
}

/** `inverted`: kept units are divided by p (y = x ⊙ m / p); `none`: y = x ⊙ m. */
export type DropoutScale = 'inverted' | 'none';

/** Options of {@link dropoutBackward}: the key of the forward pass and its scaling. */
export interface DropoutOptions extends DropoutKey {
  /** Default `inverted`. */
  scale?: DropoutScale;
}

/** Options of {@link dropoutForward}. */
export interface DropoutForwardOptions extends DropoutOptions {
  /** Also write the mask (0 or 1 per element) to a tensor: 4 extra bytes per element, for demos and tests. */
  returnMask?: boolean;
}

/** The result of {@link dropoutForward}. */
export interface DropoutResult {
  y: Tensor<'f32'>;
  /** The mask (1 kept, 0 dropped), only when `returnMask` was set. */
  mask?: Tensor<'f32'>;
}

function checkInteger(op: string, what: string, v: number, max: number): void {
  if (!(Number.isInteger(v) && v >= 0 && v <= max)) throw new ArgumentError(`${op}: ${what} must be an integer in [0, ${max}], got ${v}`);
}

function checkKey(op: string, key: DropoutKey): void {
  const p = key.keepProb;
  if (!(Number.isFinite(p) && p > 0 && p <= 1)) throw new ArgumentError(`${op}: keepProb is the probability of keeping a unit and must be in (0, 1], got ${p}`);
  checkInteger(op, 'seed', key.seed, Number.MAX_SAFE_INTEGER);
  checkInteger(op, 'offset', key.offset, Number.MAX_SAFE_INTEGER);
  checkInteger(op, 'stream', key.stream ?? 0, 0xffffffff);
}

/**
 * The integer threshold t of a keep probability: a unit is kept iff its uniform 16-bit number
 * (half a Philox word) is < t, so P(keep) = t/2¹⁶ with t = round(p·2¹⁶) ∈ [0, 2¹⁶], within 2⁻¹⁷
 * of p (p = 1 keeps every unit; p < 2⁻¹⁷ rounds to t = 0, which drops every unit).
 */
export function keepThreshold(keepProb: number): number {
  checkKey('keepThreshold', { keepProb, seed: 0, offset: 0 });
  return Math.round(keepProb * TWO_16);
}

function scaleOf(op: string, o: DropoutOptions): number {
  const s = o.scale ?? 'inverted';
  if (s === 'inverted') return Math.fround(1 / o.keepProb);
  if (s === 'none') return 1;
  throw new ArgumentError(`${op}: scale must be 'inverted' or 'none', got ${String(s)}`);
}

/**
 * The uniforms of shaders/dropout.wgsl for `n` elements and a checked key: the key words, and the
 * uniform parts of Philox rounds 1 and 2 (the kernel's r-words; its comment derives them), which
 * are the same for every element because only counter word 0 varies. Exported for the tests, which
 * also run the kernel at other round counts than {@link PHILOX_ROUNDS}.
 */
export function dropoutUniforms(n: number, o: DropoutOptions): Record<string, number> {
  const seedLo = o.seed >>> 0;
  const seedHi = Math.floor(o.seed / TWO_32);
  const stream = o.stream ?? 0;
  const offsetLo = o.offset >>> 0;
  const offsetHi = Math.floor(o.offset / TWO_32);
  const [h1, l1] = mulhilo32(PHILOX_M1, offsetLo);
  const r1x = (h1 ^ stream ^ seedLo) >>> 0;
  const [h2, l2] = mulhilo32(PHILOX_M0, r1x);
  return {
    n,
    threshold: keepThreshold(o.keepProb),
    scale: scaleOf('dropoutUniforms', o),
    seed_lo: seedLo,
    seed_hi: seedHi,
    stream,
    offset_lo: offsetLo,
    offset_hi: offsetHi,
    r1_x: r1x,
    r1_y: l1,
    r1_z: (offsetHi ^ seedHi) >>> 0,
    r2_x: (l1 ^ (seedLo + PHILOX_W0)) >>> 0,
    r2_z: (h2 ^ (seedHi + PHILOX_W1)) >>> 0,
    r2_w: l2,
  };
}

/** Records one dropout dispatch of `x` into `y` (and `mask`). */
function record(op: string, x: Tensor, o: DropoutOptions, mask: boolean): DropoutResult {
  assertF32(op, x);
  checkKey(op, o);
  scaleOf(op, o); // throws for a bad scale, naming the op
  const rt = x.runtime;
  const n = x.size;
  const y = rt.empty(x.shape);
  const m = mask ? rt.empty(x.shape) : undefined;
  if (n === 0) return { y, mask: m };
  // Whole vec4s when n allows it; the scalar entry draws the very same mask for any n.
  const vec = n % 4 === 0;
  const bindings: Record<string, Tensor> = vec ? { x4: x, y4: y } : { x, y };
  if (m) bindings[vec ? 'mask4' : 'mask'] = m;
  rt.dispatch({
    shader: 'dropout',
    entry: `${vec ? 'dropout4' : 'dropout'}${m ? '_mask' : ''}`,
    overrides: { WG, PHILOX_ROUNDS },
    uniforms: dropoutUniforms(n, o),
    bindings,
    // dropout4 takes sixteen elements (two Philox calls) per invocation, dropout eight (one call).
    workgroups: grid1d(Math.ceil(n / (vec ? 16 : 8)), WG),
  });
  return { y, mask: m };
}

/**
 * Dropout's forward pass, one dispatch: y = x ⊙ m / p (`scale: 'inverted'`, the default) or
 * y = x ⊙ m (`'none'`), m drawn in the shader from the key. Dropped elements are 0 even where x is
 * inf or NaN. With `returnMask` the mask is written out too (otherwise no mask byte is stored).
 * Throws ArgumentError for keepProb ∉ (0, 1] or a seed, offset or stream out of range.
 */
export function dropoutForward(x: Tensor, options: DropoutForwardOptions): DropoutResult {
  return record('dropoutForward', x, options, options.returnMask ?? false);
}

/**
 * Dropout's backward pass: dx = dy ⊙ m / p (or dy ⊙ m), regenerating the forward pass's mask from
 * the same key and scale (one dispatch, nothing read from the forward pass).
 */
export function dropoutBackward(dy: Tensor, options: DropoutOptions): Tensor<'f32'> {
  return record('dropoutBackward', dy, options, false).y;
}

/**
 * The mask of `n` elements for `key` (1 kept, 0 dropped), computed on the CPU with the Philox twin
 * (engine/random/philox.ts): bit for bit the mask the GPU applies, in the standalone kernel and in
 * any kernel that draws it through `dropout_keep_at` (shaders/philox.wgsl). `rounds` is the Philox
 * round count, {@link PHILOX_ROUNDS} (what every dispatch uses) unless a test asks for another.
 */
export function dropoutMaskCpu(n: number, key: DropoutKey, rounds: number = PHILOX_ROUNDS): Float32Array {
  checkKey('dropoutMaskCpu', key);
  checkInteger('dropoutMaskCpu', 'n', n, 0xffffffff);
  checkPhiloxRounds(rounds);
  const t = keepThreshold(key.keepProb);
  const k = [key.seed >>> 0, Math.floor(key.seed / TWO_32)] as const;
  const ctr: [number, number, number, number] = [0, key.stream ?? 0, key.offset >>> 0, Math.floor(key.offset / TWO_32)];
  const words = new Uint32Array(4);
  const out = new Float32Array(n);
  // Counter q decides elements 8q … 8q+7: word j/2, its low half for even j, its high half for odd j.
  for (let q = 0; 8 * q < n; q++) {
    ctr[0] = q;
    philox4x32(ctr, k, rounds, words);
    for (let j = 0; j < 8 && 8 * q + j < n; j++) out[8 * q + j] = ((words[j >> 1] >>> (16 * (j & 1))) & 0xffff) < t ? 1 : 0;
  }
  return out;
}
