/**
 * Where each stage of a dropout decision happens in the WGSL, found by searching the shaders' text
 * for the statements that do it (not by line numbers, which move whenever a comment is edited). A
 * statement that is no longer there is an error naming the file and the text searched for, so an
 * edit to the kernel that changes a stage fails the page loudly instead of marking wrong lines.
 */

/** The stages of one element's decision, in order. */
export type StageName = 'counter' | 'philox' | 'uniform' | 'threshold' | 'apply';

/** A stage's place in one source file. */
export interface StageSource {
  path: string;
  /** 1-based numbers of the lines the source view marks. */
  lines: number[];
  /** The lines shown inline next to the stage's values (a few of `lines`), with their text trimmed. */
  inline: { line: number; text: string }[];
}

/** A file the search runs over. */
export interface SourceFile {
  path: string;
  text: string;
}

/**
 * The 1-based number of the first line of `file` whose code (the part before a `//` comment: the
 * headers of these files quote the statements too) contains `needle`; throws naming the file and
 * the text if none does.
 */
export function lineOf(file: SourceFile, needle: string): number {
  const i = file.text.split('\n').findIndex((l) => l.split('//')[0].includes(needle));
  if (i < 0)
    throw new Error(
      `${file.path}: no line contains \`${needle}\` (the dropout page marks the WGSL of each stage by this text; update demos/dropout/wgsl-lines.ts)`,
    );
  return i + 1;
}

/** The lines of the WGSL function `name`, from its `fn name(` line to the first `}` at the start of a line after it. */
export function functionLines(file: SourceFile, name: string): number[] {
  const first = lineOf(file, `fn ${name}(`);
  const lines = file.text.split('\n');
  const end = lines.findIndex((l, i) => i >= first && l.startsWith('}'));
  if (end < 0) throw new Error(`${file.path}: the function ${name} (line ${first}) has no closing brace at the start of a line`);
  return Array.from({ length: end + 1 - first + 1 }, (_, k) => first + k);
}

function stage(file: SourceFile, lines: number[], inline: number[] = lines): StageSource {
  const text = file.text.split('\n');
  lines = [...lines].sort((a, b) => a - b);
  inline = [...inline].sort((a, b) => a - b);
  return { path: file.path, lines, inline: inline.map((line) => ({ line, text: text[line - 1].trim() })) };
}

/**
 * Each stage's lines: the counter and key (words8, and the two calls of keep16 that the vec4 entry
 * `dropout4` makes per sixteen elements), Philox itself (philox.wgsl), the 16-bit halves (keep4),
 * the comparison with the threshold, and the select that keeps x·(1/p) or writes 0.
 */
export function stageSources(dropoutWgsl: SourceFile, philoxWgsl: SourceFile): Record<StageName, StageSource> {
  const at = (needle: string): number => lineOf(dropoutWgsl, needle);
  return {
    counter: stage(
      dropoutWgsl,
      [at('let pa = philox_mulhilo_m0('), at('let a = words8_of('), at('let b = words8_of('), at('let c1 = vec4<u32>(params.r1_x')],
      [at('let pa = philox_mulhilo_m0('), at('let c1 = vec4<u32>(params.r1_x')],
    ),
    philox: stage(philoxWgsl, functionLines(philoxWgsl, 'philox4x32_r_from'), [
      lineOf(philoxWgsl, 'fn philox4x32_r_from('),
      lineOf(philoxWgsl, 'if (PHILOX_ROUNDS > 2u &&'),
      lineOf(philoxWgsl, 'return c;'),
    ]),
    uniform: stage(dropoutWgsl, [at('array<vec4<bool>, 4>(keep4('), at('>> vec4<u32>(0u, 16u, 0u, 16u)')], [at('>> vec4<u32>(0u, 16u, 0u, 16u)')]),
    threshold: stage(dropoutWgsl, [at('< vec4<u32>(params.threshold)')]),
    apply: stage(
      dropoutWgsl,
      [at('v * params.scale, keep)'), at('y4[v] = apply4(x4[v], keep[0]);'), at('mask4[v] = select(')],
      [at('v * params.scale, keep)')],
    ),
  };
}

/** Where the host turns p into the kernel's integer threshold (keepThreshold in engine/ops/dropout.ts). */
export function hostThresholdSource(dropoutTs: SourceFile): StageSource {
  return stage(dropoutTs, [lineOf(dropoutTs, 'Math.round(keepProb * TWO_16)')]);
}
