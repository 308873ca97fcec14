/**
 * How one element's keep/drop decision comes about, recomputed on the CPU with the engine's Philox
 * twin (engine/random/philox.ts), stage by stage as shaders/dropout.wgsl computes it:
 *
 *   element i → key (seed) and counter (i / 8, stream, step) → four Philox words
 *             → the 16-bit half of word (i % 8) / 2 → u < threshold → keep (×1/p) or drop (0)
 *
 * and the replay check: a whole GPU mask against the twin's mask for the same key, bit for bit.
 */
import { dropoutMaskCpu, keepThreshold, philox4x32, PHILOX_ROUNDS, type DropoutKey } from 'webgpu-regularization';

const TWO_32 = 2 ** 32;
const TWO_16 = 2 ** 16;

/** Every intermediate value of one element's decision. */
export interface CellDerivation {
  row: number;
  unit: number;
  /** Flat index in the row-major [batch, units] activation: row · units + unit. */
  index: number;
  /** The key words (seed_lo, seed_hi). */
  key: [number, number];
  /** The counter (q, stream, offset_lo, offset_hi), q = index / 8: one Philox call decides elements 8q … 8q+7. */
  counter: [number, number, number, number];
  /** The four words of that call. */
  words: [number, number, number, number];
  /** Which word holds this element's bits: (index % 8) / 2. */
  wordIndex: number;
  /** Even index: the word's low 16 bits; odd: its high 16 bits. */
  half: 'low' | 'high';
  /** The 16-bit uniform u ∈ {0 … 65535}. */
  u: number;
  /** t = round(p · 2¹⁶), from the host (keepThreshold). */
  threshold: number;
  keep: boolean;
  /** What a kept element is multiplied by in inverted dropout: fround(1/p). */
  scale: number;
  /** The dropout4 invocation that handles the element (16 elements each) and its vec4 lane. */
  invocation: number;
  lane: number;
}

/** The derivation of element (row, unit) of a [batch, units] activation under `key`. */
export function deriveCell(row: number, unit: number, units: number, key: DropoutKey): CellDerivation {
  const index = row * units + unit;
  const k: [number, number] = [key.seed >>> 0, Math.floor(key.seed / TWO_32)];
  const q = Math.floor(index / 8);
  const counter: [number, number, number, number] = [q, key.stream ?? 0, key.offset >>> 0, Math.floor(key.offset / TWO_32)];
  const w = philox4x32(counter, k, PHILOX_ROUNDS);
  const words: [number, number, number, number] = [w[0], w[1], w[2], w[3]];
  const wordIndex = (index % 8) >> 1;
  const half = index % 2 === 0 ? 'low' : 'high';
  const u = half === 'low' ? words[wordIndex] & 0xffff : words[wordIndex] >>> 16;
  const threshold = keepThreshold(key.keepProb);
  return {
    row,
    unit,
    index,
    key: k,
    counter,
    words,
    wordIndex,
    half,
    u,
    threshold,
    keep: u < threshold,
    scale: Math.fround(1 / key.keepProb),
    invocation: Math.floor(index / 16),
    lane: index % 4,
  };
}

/** The outcome of comparing a GPU mask with the twin's. */
export interface ReplayResult {
  /** Elements compared. */
  compared: number;
  /** Elements whose decisions differ (0 when the replay matches). */
  mismatches: number;
  /** The first differing index, or -1. */
  firstMismatch: number;
}

/** Compares a mask read back from the GPU (1 kept, 0 dropped) with `dropoutMaskCpu` for the same key, element by element. */
export function replayMask(gpu: Float32Array, key: DropoutKey): ReplayResult {
  const cpu = dropoutMaskCpu(gpu.length, key);
  let mismatches = 0;
  let firstMismatch = -1;
  for (let i = 0; i < gpu.length; i++) {
    if (gpu[i] !== cpu[i]) {
      mismatches++;
      if (firstMismatch < 0) firstMismatch = i;
    }
  }
  return { compared: gpu.length, mismatches, firstMismatch };
}

/** The 16-bit uniform as a fraction of 2¹⁶ (what it "means" as a probability). */
export function uniformFraction(u: number): number {
  return u / TWO_16;
}

/** A 32-bit word as 0x-prefixed, 8 hex digits. */
export function hex32(w: number): string {
  return `0x${(w >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

/** A 16-bit value as 0x-prefixed, 4 hex digits. */
export function hex16(w: number): string {
  return `0x${(w & 0xffff).toString(16).toUpperCase().padStart(4, '0')}`;
}
