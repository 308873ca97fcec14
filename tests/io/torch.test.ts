/**
 * PyTorch state dicts (engine/io/torch.ts). torch itself is not installed here (the local package
 * index has only its CUDA build, several GB with its dependencies), so tests/io/torch_state_dict.py
 * writes the files `safetensors.torch.save_file` would: PyTorch's names (`<index>.<field>`, gaps
 * for parameter-free modules, a prefix for a wrapped Sequential), nn.Linear's [out, in] layout,
 * BatchNorm1d's int64 counter, `{ format: 'pt' }`, and the eval-mode forward pass in float64 from
 * the same float32 values (x @ W.T + b, as nn.Linear computes it).
 *
 * Checked: the loaded parameters are the file's, transposed, bit for bit; our forward pass matches
 * numpy's within the f32 bound below; every file that does not fit is refused by a typed error
 * naming the tensor and both shapes, and leaves the model bit-identical; the writer's file has
 * PyTorch's names and layout (read back by the Python package) and loads back bit for bit.
 *
 * Bound of the forward pass: a Linear's output j in f32 (see tests/ops/matmul.test.ts) is within
 * γ_(K+2)·(Σ_k |x̂_k·W_jk| + |b_j|) of the exact product of its f32 inputs, γ_n = n·u/(1 − n·u),
 * u = 2⁻²⁴; an input error e_k adds Σ_k |W_jk|·e_k, and |x̂_k| ≤ |x_k| + e_k. ReLU and dropout at
 * inference (the identity) do not grow an error. Batch norm at inference computes
 * ((ĥ − μ)·ŝ)·γ + β, ŝ = inverseSqrt(σ² + ε) within ρ = 5u of 1/√(σ² + ε) relative (WGSL allows
 * inverseSqrt 2 ULP, ≤ 4u; σ² + ε rounded once and ε rounded to f32, halved by the root: ≤ u); each
 * of its four steps adds the error carried in (scaled) and one rounding of at most u times a bound
 * on its result. The float64 reference's own error is negligible.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { constant, noGrad, tidy } from '../../engine/autograd/index';
import {
  ArgumentError,
  BatchNorm,
  CheckpointError,
  createMlp,
  decodeSafetensors,
  encodeSafetensors,
  loadTorchStateDict,
  saveCheckpoint,
  saveTorchStateDict,
  type MlpOptions,
  type NamedTensor,
  type Sequential,
} from '../../engine/index';
import { firstBitDiff, useRuntime } from '../helpers/gpu';
import { runPythonJson } from './python-run';

type Module = ['linear', number, number, boolean] | ['batchnorm', number] | ['relu'] | ['dropout'];
interface Report {
  metadata: Record<string, string>;
  tensors: Record<string, { dtype: string; shape: number[]; bits: number[] }>;
  x: number[];
  trace: number[][];
}

const lin = (i: number, o: number, bias = true): Module => ['linear', i, o, bias];
const RELU: Module = ['relu'];
const DROP: Module = ['dropout'];
/** Five Linear layers: indices 0, 3, 6, 9, 12, which a sort by text would put out of order. */
const DEEP: Module[] = [lin(8, 7), RELU, DROP, lin(7, 6), RELU, DROP, lin(6, 5), RELU, DROP, lin(5, 4), RELU, DROP, lin(4, 3)];
const BN: Module[] = [lin(6, 5), ['batchnorm', 5], RELU, lin(5, 3)];
const CASES = [
  { name: 'deep', modules: DEEP, seed: 1, rows: 5 },
  { name: 'wrapped', modules: [lin(6, 5, false), RELU, lin(5, 3, false)], prefix: 'net.', seed: 2, rows: 4 },
  { name: 'bn_i64', modules: BN, seed: 3, rows: 4, num_batches_tracked: 'int64' },
  { name: 'bn_f32', modules: BN, seed: 4, rows: 4, num_batches_tracked: 'float32' },
  { name: 'f64', modules: DEEP, seed: 5, rows: 2, dtype: 'float64' },
];

const dir = mkdtempSync(join(tmpdir(), 'torch-sd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let reports: Record<string, Report>;
beforeAll(() => {
  writeFileSync(join(dir, 'spec.json'), JSON.stringify({ cases: CASES }));
  reports = runPythonJson<Record<string, Report>>('torch_state_dict.py', join(dir, 'spec.json'), dir);
});

const file = (name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, `${name}.safetensors`)));
const f32 = (bits: readonly number[]): Float32Array => new Float32Array(new Uint32Array(bits).buffer);
const torchValues = (report: Report, name: string): Float32Array => f32(report.tensors[name].bits);

/** `bytes` decoded, edited and encoded again (F32 files only): a state dict that does not fit. */
function edited(bytes: Uint8Array, edit: (t: NamedTensor[]) => NamedTensor[]): Uint8Array {
  return encodeSafetensors(edit([...decodeSafetensors(bytes).tensors.values()]), { format: 'pt' });
}
const without =
  (...names: string[]) =>
  (t: NamedTensor[]) =>
    t.filter((x) => !names.includes(x.name));
const withTensor =
  (name: string, shape: number[], data = new Float32Array(shape.reduce((a, b) => a * b, 1))) =>
  (t: NamedTensor[]) => [...t.filter((x) => x.name !== name), { name, shape, data }];

/** Every parameter and buffer value, padding included. */
async function state(model: Sequential): Promise<Float32Array[]> {
  return [await model.arena.values.toArray(), await model.buffers.values.toArray()] as Float32Array[];
}

describe('PyTorch state dicts', () => {
  const rt = useRuntime();
  const mlp = (opts: MlpOptions) => createMlp(rt(), opts);
  const deepModel = (seed = 9) => mlp({ sizes: [8, 7, 6, 5, 4, 3], hiddenDropout: { rate: 0.5 }, seed });
  const bnModel = (seed = 9) => mlp({ sizes: [6, 5, 3], seed, insert: [(s) => (s.kind === 'preActivation' ? [new BatchNorm(`bn${s.index}`, s.width)] : [])] });

  /** Our eval-mode forward pass against numpy's, within the bound derived at the top of the file. */
  async function checkForward(model: Sequential, report: Report, modules: Module[], prefix = ''): Promise<void> {
    const x = f32(report.x);
    const nIn = modules[0][1] as number;
    const rows = x.length / nIn;
    const xt = rt().tensor(x, [rows, nIn]);
    const y = noGrad(() => tidy(() => model.forward(constant(xt), { training: false, step: 0 }).data));
    const got = (await y.toArray()) as Float32Array;
    y.dispose();
    xt.dispose();
    let h = Float64Array.from(x);
    let err = new Float64Array(h.length);
    modules.forEach((m, i) => {
      if (m[0] === 'linear') {
        const [, k, n, bias] = m;
        const w = torchValues(report, `${prefix}${i}.weight`);
        const b = bias ? torchValues(report, `${prefix}${i}.bias`) : new Float32Array(n);
        const gamma = ((k + 2) * 2 ** -24) / (1 - (k + 2) * 2 ** -24);
        const next = new Float64Array(rows * n);
        for (let r = 0; r < rows; r++)
          for (let j = 0; j < n; j++) {
            let propagated = 0;
            let abs = Math.abs(b[j]);
            for (let c = 0; c < k; c++) {
              propagated += Math.abs(w[j * k + c]) * err[r * k + c];
              abs += (Math.abs(h[r * k + c]) + err[r * k + c]) * Math.abs(w[j * k + c]);
            }
            next[r * n + j] = propagated + gamma * abs;
          }
        err = next;
      } else if (m[0] === 'batchnorm') {
        const n = m[1];
        const [g, beta, mu, v] = ['weight', 'bias', 'running_mean', 'running_var'].map((f) => torchValues(report, `${prefix}${i}.${f}`));
        const u = 2 ** -24;
        const rho = 5 * u;
        err = err.map((e, o) => {
          const j = o % n;
          const d = Math.abs(h[o] - mu[j]);
          const s = 1 / Math.sqrt(v[j] + 1e-5);
          const e1 = e + u * (d + e); // ĥ − μ
          const e2 = e1 * s * (1 + rho) + d * s * rho + u * (d + e1) * s * (1 + rho); // · ŝ
          const e3 = Math.abs(g[j]) * (e2 + u * (d * s + e2)); // · γ
          return e3 + u * (Math.abs(g[j]) * d * s + e3 + Math.abs(beta[j])); // + β
        });
      } else if (m[0] !== 'relu' && m[0] !== 'dropout') throw new Error(`no bound for ${m[0]}`);
      h = Float64Array.from(report.trace[i]);
    });
    expect(got.length).toBe(h.length);
    const bad = [...got].flatMap((g, o) => (Math.abs(g - h[o]) <= err[o] ? [] : [`y[${o}] = ${g}, numpy ${h[o]}, bound ${err[o]}`]));
    expect(bad).toEqual([]);
  }

  it('an nn.Sequential MLP loads: indices in numeric order, [out, in] transposed bit for bit, the forward pass as numpy computes it', async () => {
    const report = reports.deep;
    expect(report.metadata).toEqual({ format: 'pt' });
    const model = deepModel();
    const info = loadTorchStateDict(file('deep'), model);
    const pairs = [0, 3, 6, 9, 12].flatMap((idx, i) => [
      { torch: `${idx}.weight`, ours: `fc${i + 1}.weight`, transposed: true },
      { torch: `${idx}.bias`, ours: `fc${i + 1}.bias`, transposed: false },
    ]);
    expect(info.loaded).toEqual(pairs);
    expect(info.ignored).toEqual([]);
    const [values] = await state(model);
    for (const { torch, ours } of pairs) {
      const p = model.arena.param(ours);
      const src = torchValues(report, torch);
      const want = p.shape.length === 2 ? src.map((_, o) => src[(o % p.shape[1]) * p.shape[0] + Math.floor(o / p.shape[1])]) : src;
      expect(firstBitDiff(values.subarray(p.offset, p.offset + p.size), want), ours).toBe(-1);
    }
    await checkForward(model, report, DEEP);
    model.dispose();
  });

  it('a Sequential inside a module loads with its prefix ("net" or "net."), and without the prefix is refused with the hint', async () => {
    const modules: Module[] = [lin(6, 5, false), RELU, lin(5, 3, false)];
    for (const prefix of ['net', 'net.']) {
      const model = mlp({ sizes: [6, 5, 3], bias: false, seed: 4 });
      const info = loadTorchStateDict(file('wrapped'), model, { prefix });
      expect(info.loaded.map((m) => [m.torch, m.ours])).toEqual([
        ['net.0.weight', 'fc1.weight'],
        ['net.2.weight', 'fc2.weight'],
      ]);
      await checkForward(model, reports.wrapped, modules, 'net.');
      model.dispose();
    }
    const model = mlp({ sizes: [6, 5, 3], bias: false });
    expect(() => loadTorchStateDict(file('wrapped'), model)).toThrow(/no tensor named "<index>\.weight".*"net\.0\.weight".*pass \{ prefix: "net" \}/);
    model.dispose();
  });

  it('BatchNorm1d maps onto our BatchNorm (γ, β and the running statistics), the forward pass as numpy computes it; its I64 counter is refused with the remedy, an F32 one skipped', async () => {
    const model = bnModel();
    const before = await state(model);
    const err = () => loadTorchStateDict(file('bn_i64'), model);
    expect(err).toThrow(CheckpointError);
    expect(err).toThrow(/"1\.num_batches_tracked" is I64.*v\.float\(\).*not k\.endswith\('num_batches_tracked'\)/);
    const after = await state(model);
    expect(after.map((a, i) => firstBitDiff(a, before[i]))).toEqual([-1, -1]);

    const info = loadTorchStateDict(file('bn_f32'), model);
    expect(info.ignored).toEqual(['1.num_batches_tracked']);
    const want: [string, string][] = [
      ['0.weight', 'fc1.weight'],
      ['0.bias', 'fc1.bias'],
      ['1.weight', 'bn1.gamma'],
      ['1.bias', 'bn1.beta'],
      ['1.running_mean', 'bn1.runningMean'],
      ['1.running_var', 'bn1.runningVar'],
      ['3.weight', 'fc2.weight'],
      ['3.bias', 'fc2.bias'],
    ];
    expect(info.loaded.map((m) => [m.torch, m.ours])).toEqual(want);
    const ours = await model.exportState();
    for (const [torch, name] of want.filter(([, n]) => !n.endsWith('.weight'))) {
      expect(firstBitDiff(ours.params[name] ?? ours.buffers[name], torchValues(reports.bn_f32, torch)), name).toBe(-1);
    }
    await checkForward(model, reports.bn_f32, BN);
    model.dispose();
  });

  it('every file that does not fit is refused by a typed error naming the tensor and the shapes, and the model stays bit-identical', async () => {
    const model = deepModel();
    const bn = bnModel();
    const before = await state(model);
    const bnBefore = await state(bn);
    const deep = file('deep');
    const refusals: [string, () => unknown, RegExp][] = [
      [
        'wrong shape',
        () => loadTorchStateDict(edited(deep, withTensor('6.weight', [5, 7])), model),
        /"6\.weight" has shape \[5, 7\], expected \[5, 6\] for fc3\.weight transposed/,
      ],
      [
        'weight already [in, out]',
        () => loadTorchStateDict(edited(deep, withTensor('0.weight', [8, 7])), model),
        /"0\.weight" has shape \[8, 7\], expected \[7, 8\].*already transposed/,
      ],
      ['bias shape', () => loadTorchStateDict(edited(deep, withTensor('9.bias', [5])), model), /"9\.bias" has shape \[5\], expected \[4\] for fc4\.bias/],
      [
        'missing module',
        () => loadTorchStateDict(edited(deep, without('12.weight', '12.bias')), model),
        /4 module\(s\) with tensors, the model 5.*fc5 \(Linear 4 → 3, with bias\) has no module/,
      ],
      ['missing bias', () => loadTorchStateDict(edited(deep, without('3.bias')), model), /no "3\.bias", but fc2 \(Linear 7 → 6, with bias\) has one/],
      ['missing weight', () => loadTorchStateDict(edited(deep, without('3.weight')), model), /module 3 \("3\.bias" \[6\]\) has tensors but no weight/],
      [
        'extra module',
        () => loadTorchStateDict(edited(deep, withTensor('15.weight', [2, 3])), model),
        /module 15 \("15\.weight" \[2, 3\]\) has no layer in the model/,
      ],
      [
        'extra tensor',
        () => loadTorchStateDict(edited(deep, withTensor('scale', [1])), model),
        /1 tensor\(s\) that are not "<index>\.<field>".*"scale" \[1\].*strict: false/,
      ],
      ['a field a Linear lacks', () => loadTorchStateDict(edited(deep, withTensor('3.weight_orig', [6, 7])), model), /"3\.weight_orig" \[6, 7\]/],
      [
        'kind',
        () => loadTorchStateDict(file('bn_f32'), mlp({ sizes: [6, 5, 3] }), { strict: false }),
        /module 1 .* is a BatchNorm1d, but the model's layer 2 with parameters is fc2 \(Linear/,
      ],
      [
        'no bias here',
        () => loadTorchStateDict(deep, mlp({ sizes: [8, 7, 6, 5, 4, 3], bias: false })),
        /"0\.bias" \[7\], but fc1 \(Linear 8 → 7, without bias\) has none/,
      ],
      ['no bias there', () => loadTorchStateDict(file('wrapped'), mlp({ sizes: [6, 5, 3] }), { prefix: 'net' }), /no "net\.0\.bias", but fc1 .* has one/],
      [
        'NaN',
        () => loadTorchStateDict(edited(deep, withTensor('9.weight', [4, 5], new Float32Array(20).fill(Number.NaN))), model),
        /"9\.weight" has NaN at index 0/,
      ],
      ['Infinity', () => loadTorchStateDict(edited(deep, withTensor('0.bias', [7], new Float32Array(7).fill(-Infinity))), model), /"0\.bias" has -Infinity/],
      ['F64', () => loadTorchStateDict(file('f64'), model), /is F64; only F32.*From PyTorch, save float32 tensors.*v\.float\(\)/],
      ['truncated', () => loadTorchStateDict(deep.subarray(0, deep.length - 4), model), /loadTorchStateDict: safetensors: .*truncated/],
      ['BatchNorm1d without affine', () => loadTorchStateDict(edited(file('bn_f32'), without('1.weight', '1.bias')), bn), /BatchNorm1d\(affine=False\)/],
      [
        'running_var shape',
        () => loadTorchStateDict(edited(file('bn_f32'), withTensor('1.running_var', [6])), bn),
        /"1\.running_var" has shape \[6\], expected \[5\] for bn1\.runningVar/,
      ],
      [
        'our checkpoint',
        async () => loadTorchStateDict(await saveCheckpoint(model), model),
        /looks like one of our own checkpoints: load it with loadCheckpoint/,
      ],
    ];
    for (const [what, run, message] of refusals) {
      const e = await Promise.resolve()
        .then(run)
        .then(
          () => null,
          (x: unknown) => x,
        );
      expect(e, what).toBeInstanceOf(CheckpointError);
      expect((e as Error).message, what).toMatch(message);
    }
    const badArgs: [unknown, unknown, RegExp][] = [
      [model, { prefix: 3 }, /prefix must be a string, got 3/],
      [model, { strict: 'no' }, /strict must be a boolean, got "no"/],
      [model, { stric: false }, /unknown option "stric" \(options: prefix, strict\)/],
      [model, [], /options must be an object, got an array of 0/],
      [{}, undefined, /the model must be a Sequential/],
      [
        mlp({ sizes: [8, 7, 6, 5, 4, 3], hiddenDropout: { rate: 0.5 }, dropoutRule: 'weight-scaling' }),
        undefined,
        /layer "drop1" uses the weight-scaling dropout rule/,
      ],
    ];
    for (const [m, opts, message] of badArgs) {
      const run = () => loadTorchStateDict(deep, m as Sequential, opts as { strict?: boolean });
      expect(run).toThrow(ArgumentError);
      expect(run).toThrow(message);
    }
    const after = await state(model);
    const bnAfter = await state(bn);
    expect([...after, ...bnAfter].map((a, i) => firstBitDiff(a, [...before, ...bnBefore][i]))).toEqual([-1, -1, -1, -1]);
    model.dispose();
    bn.dispose();
  });

  it('strict: false loads the modules that pair up, keeps the other layers and lists what it skipped', async () => {
    const model = deepModel();
    const before = (await state(model))[0];
    const bytes = edited(file('deep'), (t) => [...without('12.weight', '12.bias')(t), { name: 'head.0.weight', shape: [2], data: new Float32Array(2) }]);
    const info = loadTorchStateDict(bytes, model, { strict: false });
    expect(info.loaded.map((m) => m.ours)).toEqual(['fc1', 'fc2', 'fc3', 'fc4'].flatMap((l) => [`${l}.weight`, `${l}.bias`]));
    expect(info.ignored).toEqual(['head.0.weight']);
    const after = (await state(model))[0];
    for (const p of model.arena.params) {
      const same = firstBitDiff(after.subarray(p.offset, p.offset + p.size), before.subarray(p.offset, p.offset + p.size)) === -1;
      expect(same, p.name).toBe(p.name.startsWith('fc5'));
    }
    const more = deepModel();
    expect(loadTorchStateDict(edited(file('deep'), withTensor('15.weight', [2, 3])), more, { strict: false }).ignored).toEqual(['15.weight']);
    more.dispose();
    model.dispose();
  });

  it("saveTorchStateDict writes PyTorch's names, [out, in] layout and metadata, which the Python package reads and which load back bit for bit", async () => {
    for (const [make, names] of [
      [deepModel, [0, 3, 6, 9, 12].flatMap((i) => [`${i}.weight`, `${i}.bias`])],
      [bnModel, ['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '3.weight', '3.bias']],
    ] as const) {
      const model = make(21);
      // Training-mode passes move the running statistics away from their initial (0, 1).
      const nIn = model.arena.param('fc1.weight').shape[0];
      const xt = rt().tensor(
        new Float32Array(4 * nIn).map((_, i) => Math.sin(i)),
        [4, nIn],
      );
      noGrad(() => tidy(() => model.forward(constant(xt), { training: true, step: 0 })));
      const bytes = await saveTorchStateDict(model, { prefix: 'net' });
      const path = join(dir, 'ours.safetensors');
      writeFileSync(path, bytes);
      const read = runPythonJson<Report>('interop.py', 'read', path);
      expect(read.metadata).toEqual({ format: 'pt' });
      expect(Object.keys(read.tensors).sort()).toEqual(names.map((n) => `net.${n}`).sort());
      const ours = await model.exportState();
      const w = ours.params['fc1.weight'];
      const nOut = model.arena.param('fc1.weight').shape[1];
      expect(read.tensors['net.0.weight'].shape).toEqual([nOut, nIn]);
      expect(
        firstBitDiff(
          f32(read.tensors['net.0.weight'].bits),
          w.map((_, o) => w[(o % nIn) * nOut + Math.floor(o / nIn)]),
        ),
      ).toBe(-1);
      const back = make(22);
      loadTorchStateDict(bytes, back, { prefix: 'net' });
      expect(await back.exportState()).toEqual(ours);
      xt.dispose();
      model.dispose();
      back.dispose();
    }
  });
});
