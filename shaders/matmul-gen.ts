/**
 * The generated entry points of the matmul family: pure functions from a template
 * (shaders/matmul.wgsl or shaders/matmul_tiled.wgsl, which hold every helper, binding and override)
 * and a number of rows per invocation, TM, to WGSL source. No GPU, no engine import: the shader
 * registry calls them once per file when it is imported, and a build step may call them too.
 *
 * Why generate: WGSL cannot unroll a loop, and a private array indexed by a loop variable
 * (`acc[i]`) is kept in memory by SwiftShader and by many GPU compilers. Each generated entry point
 * writes out its TM rows, one accumulator variable per row (`acc0` … `acc15`), so no accumulator is
 * ever indexed; the epilogue of each row is one call of a template function that takes the row's
 * accumulator by value. The rule is checked for every kernel by tests/lint/accumulators.test.ts.
 */

/** The most rows of C per invocation. */
export const MATMUL_TM_MAX = 16;

/**
 * The rows per invocation that get an entry point, per template. Not every TM from 1 to 16: each
 * one is a pipeline to compile and test, unrolled code compiles slowly on the software adapters,
 * and the tuner's candidates use few. The register-blocked layouts (shaders/matmul.wgsl) take
 * 1 … 6, 8, 12 and 16 (vec4 the multiples of 4); the workgroup-memory tiled and 2-D block layouts
 * (shaders/matmul_tiled.wgsl, the real-GPU ones) 1 … 4 and 8.
 */
export const MATMUL_TMS: Readonly<Record<MatmulTemplate, readonly number[]>> = {
  matmul: [1, 2, 3, 4, 5, 6, 8, 12, 16],
  matmul_tiled: [1, 2, 3, 4, 8],
};

/** The templates that get generated entry points. */
export type MatmulTemplate = 'matmul' | 'matmul_tiled';

/** The layouts of each template (the host's `MatmulKernel`). */
export const MATMUL_LAYOUTS = { matmul: ['vec4', 'scalar', 'strided'], matmul_tiled: ['tiled', 'block'] } as const;

/** A layout of either template. */
export type MatmulLayout = (typeof MATMUL_LAYOUTS)[MatmulTemplate][number];

/** The entry point of `layout` with `tm` rows per invocation, e.g. `matmul_strided_tm16`. */
export function matmulEntryName(layout: MatmulLayout, tm: number): string {
  return `matmul_${layout}_tm${tm}`;
}

/** The template of a layout. */
export function matmulTemplateOf(layout: MatmulLayout): MatmulTemplate {
  return layout === 'tiled' || layout === 'block' ? 'matmul_tiled' : 'matmul';
}

/** Whether `layout` has an entry point for `tm` (the vec4 layout reads rows of A in groups of four). */
export function hasMatmulEntry(layout: MatmulLayout, tm: number): boolean {
  return MATMUL_TMS[matmulTemplateOf(layout)].includes(tm) && (layout !== 'vec4' || tm % 4 === 0);
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** `row0`, `row0 + 1u`, ...: the WGSL of row i of the block. */
const rowExpr = (base: string, i: number, step = ''): string => (i === 0 ? base : `${base} + ${i}u${step}`);

/** The declarations of the accumulators, one line. */
const accumulators = (tm: number): string =>
  range(tm)
    .map((i) => `  var acc${i} = vec4<f32>(0.0);`)
    .join('\n');

/** The builtins every entry point takes. */
const BUILTINS = `  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,`;

/** The entry point's signature and its first statement: which product of a batch it computes (`set_product`). */
function header(layout: MatmulLayout, tm: number, what: string, size: string, extra = ''): string {
  return `// ${what}
@compute @workgroup_size(${size})
fn ${matmulEntryName(layout, tm)}(
${BUILTINS}${extra}
) {
  set_product(wid);`;
}

/** matmul_vec4_tm<TM>: four adjacent columns as one vec4; rows of A four at a time as a 4 × 4 block. */
function vec4Entry(tm: number): string {
  const groups = range(tm / 4).map((g) => {
    const lines = [`    let am${g} = a_block(${rowExpr('row0', 4 * g)}, kk);`];
    for (let r = 0; r < 4; r++) lines.push(`    acc${4 * g + r} += bm * am${g}[${r}];`);
    return lines.join('\n');
  });
  return `${header('vec4', tm, `TM = ${tm}, four adjacent columns as one vec4 (aligned shapes only).`, 'WG')}
  let col4 = wid.x * WG + lid.x;
  if (col4 >= params.n / 4u) { return; }
  let row0 = first_row(wid, groups, ${tm}u);
${accumulators(tm)}
  for (var kk = 0u; kk < params.k; kk += 4u) {
    let bm = b_block(kk, col4);
${groups.join('\n')}
  }
  let bias4 = load_bias(col4 * 4u);
  let kb = keep_bits_vec4(row0, ${tm}u, col4);
${range(tm)
  .map((i) => `  finish_vec4(${rowExpr('row0', i)}, col4, acc${i}, bias4, row_keep(kb, ${i}u));`)
  .join('\n')}
}
`;
}

/** The two k loops of the scalar-load layouts: by 4 with a 4 × 4 block of B, then a scalar tail. */
function kLoops(tm: number, vectorBody: boolean): string {
  const tail = `  for (; kk < params.k; kk++) {
    let bk = b_row(kk, cols);
${range(tm)
  .map((i) => `    acc${i} = fma(a_splat(${rowExpr('row0', i)}, kk), bk, acc${i});`)
  .join('\n')}
  }`;
  if (!vectorBody) return `  var kk = 0u;\n${tail}`;
  return `  var kk = 0u;
  for (; kk + 4u <= params.k; kk += 4u) {
    let bm = b_rows4(kk, cols);
${range(tm)
  .map((i) => `    acc${i} += bm * a_row4(${rowExpr('row0', i)}, kk);`)
  .join('\n')}
  }
${tail}`;
}

/** matmul_scalar_tm<TM>: four adjacent columns, scalar loads, any shape. */
function scalarEntry(tm: number): string {
  return `${header('scalar', tm, `TM = ${tm}, four adjacent columns, scalar loads (any shape).`, 'WG')}
  let col0 = (wid.x * WG + lid.x) * 4u;
  if (col0 >= params.n) { return; }
  let cols = adjacent_cols(col0);
  let row0 = first_row(wid, groups, ${tm}u);
${accumulators(tm)}
${kLoops(tm, false)}
  let bias4 = load_bias(col0);
  let kb = keep_bits_scalar(row0, ${tm}u, col0);
${range(tm)
  .map((i) => `  finish_scalar(${rowExpr('row0', i)}, col0, cols, acc${i}, bias4, row_keep(kb, ${i}u));`)
  .join('\n')}
}
`;
}

/** matmul_strided_tm<TM>: the four columns WG apart, any shape. */
function stridedEntry(tm: number): string {
  return `${header('strided', tm, `TM = ${tm}, four columns WG apart (any shape).`, 'WG')}
  let base = wid.x * WG * 4u + lid.x;
  let cols = strided_cols(base);
  let row0 = first_row(wid, groups, ${tm}u);
${accumulators(tm)}
${kLoops(tm, true)}
  let bias4 = bias_at(cols);
  let kb = keep_bits_strided(row0, ${tm}u, cols);
${range(tm)
  .map((i) => `  finish_strided(${rowExpr('row0', i)}, base, cols, acc${i}, bias4, row_keep(kb, ${i}u));`)
  .join('\n')}
}
`;
}

/** matmul_tiled_tm<TM>: workgroup-memory tiles; rows of the invocation WG_Y apart, columns WG_X apart. */
function tiledEntry(tm: number): string {
  return `${header('tiled', tm, `TM = ${tm} (the TM override must be ${tm} too: it sizes tile_a), workgroup-memory tiles.`, 'WG_X, WG_Y', '\n  @builtin(local_invocation_index) li: u32,')}
  let row0 = row_block(wid, groups) * WG_Y * TM;
  let col0 = wid.x * WG_X * 4u;
${accumulators(tm)}
  for (var k0 = 0u; k0 < dim_k(); k0 += BK) {
    fill_tiles(li, row0, col0, k0);
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      let bv = tile_b_row(kk, lid.x);
${range(tm)
  .map((i) => `      acc${i} = fma(tile_a_splat(kk, lid.y, ${i}u), bv, acc${i});`)
  .join('\n')}
    }
    workgroupBarrier();
  }
${range(tm)
  .map((i) => `  finish_row(${rowExpr('row0 + lid.y', i, ' * WG_Y')}, col0 + lid.x, WG_X, acc${i});`)
  .join('\n')}
}
`;
}

/** matmul_block_tm<TM>: no workgroup memory, TM rows × 4 adjacent columns, WG_X × WG_Y invocations. */
function blockEntry(tm: number): string {
  return `${header('block', tm, `TM = ${tm}, 2-D blocks without workgroup memory.`, 'WG_X, WG_Y')}
  let row0 = (row_block(wid, groups) * WG_Y + lid.y) * ${tm}u;
  let col0 = (wid.x * WG_X + lid.x) * 4u;
  if (row0 >= dim_m() || col0 >= dim_n()) { return; }
  let last_col = dim_n() - 1u;
  let cols = vec4<u32>(col0, min(col0 + 1u, last_col), min(col0 + 2u, last_col), min(col0 + 3u, last_col));
${accumulators(tm)}
  var k = 0u;
  for (; k + 4u <= dim_k(); k += 4u) {
    let bm = block_b_rows4(k, cols);
${range(tm)
  .map((i) => `    acc${i} += bm * block_a_row4(${rowExpr('row0', i)}, k);`)
  .join('\n')}
  }
  for (; k < dim_k(); k++) {
    let bk = block_b_row(k, cols);
${range(tm)
  .map((i) => `    acc${i} = fma(block_a_splat(${rowExpr('row0', i)}, k), bk, acc${i});`)
  .join('\n')}
  }
${range(tm)
  .map((i) => `  finish_row(${rowExpr('row0', i)}, col0, 1u, acc${i});`)
  .join('\n')}
}
`;
}

const GENERATORS: Record<MatmulLayout, (tm: number) => string> = {
  vec4: vec4Entry,
  scalar: scalarEntry,
  strided: stridedEntry,
  tiled: tiledEntry,
  block: blockEntry,
};

/** The WGSL of one generated entry point: `layout` with `tm` rows per invocation. */
export function matmulEntrySource(layout: MatmulLayout, tm: number): string {
  if (!hasMatmulEntry(layout, tm)) throw new RangeError(`matmul-gen: no ${layout} entry point for TM = ${tm}`);
  return GENERATORS[layout](tm);
}

/**
 * Where the dropout epilogue of shaders/matmul.wgsl takes its key from (`mask_key()`, appended to
 * the template): 'uniform', the one key of the uniforms (`matmul`,
 * `matmul_masked`); 'keyed', each product's own key from the storage array `mask_keys`
 * (`matmul_keyed`, the batched ensemble's products, one key per member).
 */
export type MatmulKeySource = 'uniform' | 'keyed';

/** The WGSL of `mask_key()` for each {@link MatmulKeySource}. */
const KEY_FUNCTIONS: Record<MatmulKeySource, string> = {
  uniform: `// The dropout key: the one in the uniforms.
fn mask_key() -> MaskKey {
  return MaskKey(vec2<u32>(params.seed_lo, params.seed_hi), vec3<u32>(params.stream, params.offset_lo, params.offset_hi));
}
`,
  keyed: `// The dropout key of the invocation's product (set_product): two vec4 per product,
// (seed_lo, seed_hi, -, -) and (stream, offset_lo, offset_hi, -).
@group(0) @binding(10) var<storage, read> mask_keys: array<vec4<u32>>;

fn mask_key() -> MaskKey {
  let seed = mask_keys[2u * product];
  let ctr = mask_keys[2u * product + 1u];
  return MaskKey(seed.xy, ctr.xyz);
}
`,
};

/**
 * The template with its generated entry points appended: every layout of `template` for each of
 * its {@link MATMUL_TMS} that the layout supports, and for shaders/matmul.wgsl the dropout key's
 * function of `keys` (default 'uniform'). Pure: the same inputs give the same text.
 */
export function generateMatmulSource(templateSource: string, template: MatmulTemplate, keys: MatmulKeySource = 'uniform'): string {
  const parts: string[] = [templateSource.endsWith('\n') ? templateSource : `${templateSource}\n`];
  if (template === 'matmul') parts.push(KEY_FUNCTIONS[keys]);
  for (const tm of MATMUL_TMS[template]) {
    for (const layout of MATMUL_LAYOUTS[template]) {
      if (hasMatmulEntry(layout, tm)) parts.push(matmulEntrySource(layout, tm));
    }
  }
  return parts.join('\n');
}
