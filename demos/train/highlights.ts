/**
 * The source lines the train page marks, as searchable specs (demos/shared/source-lines.ts):
 * the link in the Monte-Carlo note opens dropout.wgsl at the comment that says how an element's mask
 * bit is keyed. tests/lint/source-highlights.test.ts checks each spec against its file.
 */
import type { HighlightSpec } from '../shared/source-lines';

export const HIGHLIGHTS = {
  maskKey: {
    path: 'shaders/dropout.wgsl',
    spans: [{ start: '---- How element i gets its random bits', end: 'if uᵢ < threshold' }],
    names: ['key', 'counter', 'seed_lo', 'stream', 'offset_lo', 'philox4x32_r', 'threshold'],
  },
} satisfies Record<string, HighlightSpec>;
