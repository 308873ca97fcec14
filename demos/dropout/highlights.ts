/**
 * The source lines the dropout page marks, as searchable specs (demos/shared/source-lines.ts): each
 * stage of one element's keep/drop decision (`<stage>`: the lines the Source tab marks;
 * `<stage>.inline`: the few of them shown next to the stage's values), and where the host turns p
 * into the kernel's threshold. tests/lint/source-highlights.test.ts checks each against its file.
 */
import type { HighlightSpec } from '../shared/source-lines';

const DROPOUT = 'shaders/dropout.wgsl';
const PHILOX = 'shaders/philox.wgsl';

/** The stages of one element's decision, in order. */
export type StageName = 'counter' | 'philox' | 'uniform' | 'threshold' | 'apply';

const counterFirst = { start: 'let pa = philox_mulhilo_m0(' };
const counterLast = { start: 'let c1 = vec4<u32>(params.r1_x' };
const uniformHalves = { start: '>> vec4<u32>(0u, 16u, 0u, 16u)' };
const applySelect = { start: 'v * params.scale, keep)' };

export const HIGHLIGHTS = {
  // The counter and key: words8 (rounds 1 and 2 folded) and the two calls that the vec4 entry
  // `dropout4` makes per sixteen elements.
  counter: {
    path: DROPOUT,
    spans: [counterFirst, { start: 'let a = words8_of(' }, { start: 'let b = words8_of(' }, counterLast],
    names: ['philox_mulhilo_m0', 'words8_of', 'params.r1_x', 'params.r1_z'],
  },
  'counter.inline': { path: DROPOUT, spans: [counterFirst, counterLast], names: ['philox_mulhilo_m0', 'params.r1_x'] },
  // Philox itself: the rounds after the folded ones.
  philox: { path: PHILOX, spans: [{ start: 'fn philox4x32_r_from(', end: /^}/ }], names: ['philox4x32_r_from', 'philox_round', 'PHILOX_ROUNDS', 'return'] },
  'philox.inline': {
    path: PHILOX,
    spans: [{ start: 'fn philox4x32_r_from(' }, { start: 'if (PHILOX_ROUNDS > 2u &&' }, { start: 'return c;' }],
    names: ['philox4x32_r_from', 'philox_round', 'return'],
  },
  // The 16-bit halves of each word (keep4).
  uniform: { path: DROPOUT, spans: [{ start: 'array<vec4<bool>, 4>(keep4(' }, uniformHalves], names: ['keep4', '0xFFFFu', '16u'] },
  'uniform.inline': { path: DROPOUT, spans: [uniformHalves], names: ['0xFFFFu', '16u'] },
  threshold: { path: DROPOUT, spans: [{ start: '< vec4<u32>(params.threshold)' }], names: ['params.threshold'] },
  // The select that keeps x·(1/p) or writes 0 (and the mask, in the entries that write it).
  apply: {
    path: DROPOUT,
    spans: [applySelect, { start: 'y4[v] = apply4(x4[v], keep[0]);' }, { start: 'mask4[v] = select(' }],
    names: ['select', 'params.scale', 'apply4', 'mask4'],
  },
  'apply.inline': { path: DROPOUT, spans: [applySelect], names: ['select', 'params.scale'] },
  // Where the host computes the threshold from p (keepThreshold).
  host: { path: 'engine/ops/dropout.ts', spans: [{ start: 'Math.round(keepProb * TWO_16)' }], names: ['keepProb', 'TWO_16'] },
} satisfies Record<string, HighlightSpec>;
