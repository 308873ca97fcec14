/**
 * Bad input gets a clear error: the message names the op, the shapes or the value, and the file
 * and line for WGSL. Checked against the exact facts of each case, not just "it throws".
 */
import { describe, expect, it } from 'vitest';
import { add, ArgumentError, DisposedTensorError, GpuError, KernelBindingError, ShaderCompileError, ShapeError, scale, sum } from '../../engine/index';
import { useRuntime } from '../helpers/gpu';

describe('clear errors', () => {
  const rt = useRuntime();

  it('adding shapes [2,3] and [3,2] names both shapes', () => {
    const a = rt().tensor(new Float32Array(6), [2, 3]);
    const b = rt().tensor(new Float32Array(6), [3, 2]);
    expect(() => add(a, b)).toThrow(ShapeError);
    expect(() => add(a, b)).toThrow('add: shapes [2, 3] and [3, 2] cannot be broadcast together (dimension -1: 3 vs 2)');
  });

  it('using a disposed tensor says so, in ops and in toArray', async () => {
    const a = rt().tensor([1, 2, 3]);
    a.dispose();
    expect(a.isDisposed).toBe(true);
    expect(() => scale(a, 2)).toThrow(DisposedTensorError);
    expect(() => scale(a, 2)).toThrow(/scale: tensor #\d+ \[3\] f32: the tensor was disposed/);
    await expect(a.toArray()).rejects.toThrow(/toArray: .*disposed/);
    expect(() => sum(a)).toThrow(/sum: .*disposed/);
    a.dispose(); // a second dispose is harmless
  });

  it('a tensor whose data does not fill its shape is refused', () => {
    expect(() => rt().tensor([1, 2, 3], [2, 2])).toThrow('tensor: 3 values do not fill shape [2, 2] (4 elements)');
    expect(() => rt().empty([2, -1])).toThrow(/invalid dimension -1/);
  });

  it('a WGSL file that does not compile reports the file and line', async () => {
    const source = [
      '// a broken kernel',
      '@group(0) @binding(0) var<storage, read_write> out: array<f32>;',
      '@compute @workgroup_size(64)',
      'fn main() {',
      '  out[0] = undefined_name;',
      '}',
      '',
    ].join('\n');
    const err = await rt()
      .loadKernel('shaders/broken.wgsl', source)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShaderCompileError);
    const e = err as ShaderCompileError;
    expect(e.file).toBe('shaders/broken.wgsl');
    expect(e.line).toBe(5);
    expect(e.message).toContain('shaders/broken.wgsl:5:');
    expect(e.message).toContain('undefined_name');
  });

  it('an error in a library file is reported in that file, not in the joined source', async () => {
    // Libraries are prepended (WGSL has no include); line numbers must map back to the kernel file.
    const source = ['@group(0) @binding(0) var<storage, read_write> out: array<f32>;', '@compute @workgroup_size(1) fn main() {', '  out[0] = nope;', '}'].join(
      '\n',
    );
    const err = (await rt()
      .loadKernel('shaders/k.wgsl', source)
      .catch((e: unknown) => e)) as ShaderCompileError;
    expect(err).toBeInstanceOf(ShaderCompileError);
    expect([err.file, err.line]).toEqual(['shaders/k.wgsl', 3]);
  });

  it('a call site that disagrees with its WGSL (uniform or binding names) is refused before dispatch', () => {
    const a = rt().tensor([1, 2]);
    const out = rt().empty([2]);
    expect(() => rt().dispatch({ shader: 'elementwise', entry: 'scale', uniforms: { n: 2 }, bindings: { a, out }, workgroups: [1] })).toThrow(
      /shaders\/elementwise\.wgsl @compute scale: uniform Params\.alpha was not given/,
    );
    expect(() =>
      rt().dispatch({ shader: 'elementwise', entry: 'scale', uniforms: { n: 2, alpha: 1, beta: 2 }, bindings: { a, out }, workgroups: [1] }),
    ).toThrow(/has no member\(s\) beta/);
    expect(() => rt().dispatch({ shader: 'elementwise', entry: 'scale', uniforms: { n: 2, alpha: 1 }, bindings: { x: a, out }, workgroups: [1] })).toThrow(
      KernelBindingError,
    );
    expect(() => rt().dispatch({ shader: 'elementwise', entry: 'nope', bindings: {}, workgroups: [1] })).toThrow(
      /has no @compute entry point "nope" \(it has: add, mul, scale, relu, fill[,)]/,
    );
    expect(() => rt().dispatch({ shader: 'elementwise', entry: 'scale', uniforms: { n: -1, alpha: 1 }, bindings: { a, out }, workgroups: [1] })).toThrow(
      /Params\.n is u32, got -1/,
    );
  });

  it('bad arguments name the value', () => {
    const a = rt().tensor([1, 2]);
    expect(() => scale(a, Number.NaN)).toThrow(ArgumentError);
    expect(() => scale(a, Number.NaN)).toThrow('scale: alpha must be finite, got NaN');
    const ints = rt().tensor(new Uint32Array([1, 2]));
    expect(() => add(ints, ints)).toThrow('add: expects f32 tensors, got u32 [2]');
  });

  it('a GPU validation error reaches the caller as a typed error, not console noise', async () => {
    // Bind a 4-byte range to a kernel whose override workgroup size is invalid (0): pipeline
    // creation fails validation on the device; the runtime raises it at the next sync.
    const out = rt().empty([4]);
    rt().dispatch({ shader: 'elementwise', entry: 'fill', overrides: { WG: 0 }, uniforms: { n: 4, alpha: 1 }, bindings: { out }, workgroups: [1] });
    const err = await rt()
      .sync()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GpuError);
    expect((err as GpuError).kind).toBe('validation');
    // The runtime stays usable after reporting the error.
    const ok = await scale(rt().tensor([1, 2]), 3).toArray();
    expect([...ok]).toEqual([3, 6]);
  });
});
