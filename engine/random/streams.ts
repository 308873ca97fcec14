/**
 * The Philox stream numbers of the random features that are not a layer's own (a layer's dropout
 * or noise uses its index in the model as its stream). Each feature draws from its own stream so
 * that, with one seed, no two features ever share random bits; a TypeScript twin that recomputes a
 * feature's draws (tests, pages) uses the same number. The values spell short ASCII tags.
 */
export const RANDOM_STREAMS = {
  /** Augmentation's per-example transforms ('AUG\0'). */
  augmentation: 0x41554700,
  /** Noise added to the inputs ('NOI\0'). */
  inputNoise: 0x4e4f4900,
  /** Noise on hidden units, plus the hidden layer's index ('NOH\0'). */
  hiddenNoise: 0x4e4f4800,
  /** Noise on the weights ('NOW\0'). */
  weightNoise: 0x4e4f5700,
} as const;
