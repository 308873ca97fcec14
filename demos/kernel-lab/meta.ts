import type { PageMeta } from '../shared/page-meta';

/** The kernel lab: write or edit a WGSL compute kernel, check it and time it on your GPU. */
export const meta: PageMeta = {
  name: 'kernel-lab',
  title: 'The kernel lab',
  teaches:
    'Bring your own WGSL compute kernel, or edit one of the engine’s: see on your GPU whether it is right (against a CPU reference, with the first differing element), how fast it is beside the engine’s kernel, and where it sits on the roofline. Presets walk from a naive to a tiled matmul and show which lines of the dropout kernel decide keep or drop.',
  order: 90,
  sources: [
    'demos/kernel-lab/main.ts',
    'demos/kernel-lab/run.ts',
    'bench/lab/spec.ts',
    'bench/lab/runner.ts',
    'bench/lab/presets/matmul-steps.ts',
    'bench/lab/presets/dropout.ts',
  ],
};
