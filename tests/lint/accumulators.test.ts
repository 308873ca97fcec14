/**
 * The accumulator audit: in every registered kernel (shaders/index.ts, generated matmul entry
 * points included, each with the libraries the runtime prepends to it), no function-scope array is
 * indexed by a non-constant expression inside a loop. Such an array is kept in memory instead of
 * registers by SwiftShader and by many GPU compilers (docs: the project's notes on private arrays
 * indexed at run time); the fix is to unroll the loop over it, generating the WGSL where an
 * `override` constant cannot (shaders/matmul-gen.ts). A kernel may break the rule only from the
 * allowance list below, with its reason.
 *
 * The checker itself (./wgsl-private-arrays.ts) is tested first on the patterns it exists for, so
 * that a checker that finds nothing cannot pass the audit.
 */
import { describe, expect, it } from 'vitest';
import { benchShaders } from '../../bench/kernels';
import { shaderLibraries, shaders, type LibraryName, type ShaderEntry } from '../../shaders/index';
import { MATMUL_LAYOUTS, MATMUL_TMS, hasMatmulEntry, matmulEntryName } from '../../shaders/matmul-gen';
import { dynamicPrivateIndices } from './wgsl-private-arrays';

/**
 * Kernels allowed to index a private array at run time in a loop, and why. Each entry names who
 * owns the fix; an entry whose kernel no longer breaks the rule fails the test (remove it).
 */
const ALLOWANCE: Partial<Record<string, string>> = {};

/** Every kernel a runtime may compile: the library's registry and the bench's own (bench/kernels.ts). */
const allShaders: Record<string, ShaderEntry> = { ...shaders, ...benchShaders };

/** A kernel's source as the runtime compiles it: its libraries, then the file. */
function compiledSource(name: string): string {
  const entry: { source: string; uses?: readonly LibraryName[] } = allShaders[name];
  return [...(entry.uses ?? []).map((lib) => shaderLibraries[lib] as string), entry.source].join('\n');
}

describe('the private-array checker', () => {
  it('flags an accumulator array indexed by the loop variable, in the loop and in the epilogue', () => {
    const src = `
      override TM: u32 = 4;
      @compute @workgroup_size(64) fn k() {
        var acc: array<vec4<f32>, 16>;
        for (var i = 0u; i < TM; i++) { acc[i] += vec4<f32>(1.0); }
        acc[TM - 1u] = vec4<f32>(0.0);   // constant: an override
        acc[3] = acc[2u];                 // constant: literals
      }`;
    expect(dynamicPrivateIndices(src)).toEqual([{ fn: 'k', array: 'acc', index: 'i', inLoop: true }]);
  });

  it('flags an array returned by a function and indexed in a loop (the dropout pattern)', () => {
    const src = `
      fn keep16(j: u32) -> array<vec4<bool>, 4> { return array<vec4<bool>, 4>(); }
      fn k(j: u32) {
        let keep = keep16(j);
        for (var h = 0u; h < 4u; h++) { let x = keep[h]; }
        let other = vec4<f32>(1.0);
        for (var h = 0u; h < 4u; h++) { let y = other[h]; }   // a vector, not an array
      }`;
    expect(dynamicPrivateIndices(src)).toEqual([{ fn: 'k', array: 'keep', index: 'h', inLoop: true }]);
  });

  it('reports a dynamic index outside loops as such, and an array parameter as if in a loop', () => {
    const src = `
      fn f(w: array<u32, 4>, j: u32) -> u32 { return w[j]; }
      fn g(j: u32) -> u32 { var t = array<u32, 2>(1u, 2u); return t[j]; }
      // comments are ignored: acc[i]
      fn h() { var s: array<f32, 4>; const Q = 2u; s[Q + 1u] = 0.0; }`;
    expect(dynamicPrivateIndices(src)).toEqual([
      { fn: 'f', array: 'w', index: 'j', inLoop: true },
      { fn: 'g', array: 't', index: 'j', inLoop: false },
    ]);
  });

  it('passes storage and workgroup arrays, which live in memory by definition', () => {
    const src = `
      @group(0) @binding(0) var<storage, read> x: array<f32>;
      var<workgroup> tile: array<f32, 64>;
      fn k(i: u32) { for (var j = 0u; j < 4u; j++) { tile[i + j] = x[i + j]; } }`;
    expect(dynamicPrivateIndices(src)).toEqual([]);
  });
});

describe('the accumulator audit of every registered kernel', () => {
  const names = Object.keys(allShaders);

  it('includes the bench-only kernels the library no longer ships', () => {
    for (const name of ['matmul_naive', 'fma_peak', 'bandwidth']) expect(names).toContain(name);
  });

  it('visits the generated matmul entry points (every layout and TM)', () => {
    for (const template of ['matmul', 'matmul_tiled'] as const) {
      for (const layout of MATMUL_LAYOUTS[template]) {
        for (const tm of MATMUL_TMS[template]) {
          if (hasMatmulEntry(layout, tm)) expect(shaders[template].source).toContain(`fn ${matmulEntryName(layout, tm)}(`);
        }
      }
    }
    expect(shaders.matmul.source).toContain('fn matmul_strided_tm16(');
  });

  for (const name of names) {
    it(`${name}: no function-scope array indexed at run time inside a loop${ALLOWANCE[name] ? ' (allowed: see the list)' : ''}`, () => {
      const inLoops = dynamicPrivateIndices(compiledSource(name)).filter((d) => d.inLoop);
      const described = inLoops.map((d) => `${d.fn}: ${d.array}[${d.index}]`);
      if (ALLOWANCE[name]) expect(described, `${name} is on the allowance list but no longer breaks the rule: remove it`).not.toEqual([]);
      else expect(described).toEqual([]);
    });
  }
});
