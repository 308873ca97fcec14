/**
 * Weights from PyTorch: a `state_dict` of an `nn.Sequential` of `nn.Linear` and `nn.BatchNorm1d`
 * layers (and parameter-free modules: ReLU, Dropout, …), saved with `safetensors.torch.save_file`,
 * loaded into one of our models; and our model's weights written back under PyTorch's names.
 *
 * PyTorch names a Sequential's tensors `<index>.<field>` (`0.weight`, `0.bias`, `3.weight`, …),
 * where the index counts every module, parameter-free ones included, so it has gaps; a Sequential
 * inside a module gets that module's attribute as a prefix (`net.0.weight`). We keep our own names
 * (`fc1.weight`, `bn1.gamma`, …) and a Linear weight transposed ([in, out], PyTorch's is
 * [out, in]). The mapping is by order: the file's modules with tensors, sorted by their index as a
 * number (10 after 9), pair with the model's layers with parameters, in the model's order.
 *
 *   nn.Linear       weight [out, in] → fcN.weight [in, out] (transposed); bias [out] → fcN.bias
 *   nn.BatchNorm1d  weight → γ (`.gamma`), bias → β (`.beta`), running_mean → `.runningMean`,
 *                   running_var → `.runningVar`; num_batches_tracked is not used (our running
 *                   averages have a fixed momentum) and is skipped
 *
 * What a state dict does not hold is not checked: the activations and where they sit, dropout's
 * probability, batch norm's eps and momentum (PyTorch's defaults, 1e-5 and 0.1, are ours too).
 * Everything it holds is checked before anything is written, so a refused file leaves the model
 * bit-identical: the tensors are F32 (the reader refuses other dtypes), finite, each module is a
 * whole Linear or BatchNorm1d of the model's kind and shapes, a bias is on both sides or neither,
 * and (strict, the default) no module or tensor is left over on either side.
 */
import type { Layer } from '../nn/layer';
import { BatchNorm } from '../nn/batchnorm';
import { Dropout } from '../nn/dropout';
import { Linear } from '../nn/linear';
import type { Sequential } from '../nn/sequential';
import { ArgumentError, describeValue, quoteString } from '../runtime/errors';
import { CheckpointError, decodeSafetensors, encodeSafetensors, type NamedTensor } from './safetensors';

/** Options of {@link loadTorchStateDict}. */
export interface LoadTorchStateDictOptions {
  /**
   * Where the `nn.Sequential` sits in the state dict: `'net'` (or `'net.'`) for keys `net.0.weight`, …
   * (a Sequential held as `self.net`). Default `''`: keys `0.weight`, ….
   */
  prefix?: string;
  /**
   * Refuse anything left over (default true): tensors outside the prefix or not of the form
   * `<index>.<field>`, fields Linear and BatchNorm1d do not have, and modules or layers without a
   * partner. With `false` those are skipped (`ignored` lists the file's), and the model's layers
   * past the file's last module keep their values. Pairs that are made are checked in full either way.
   */
  strict?: boolean;
}

/** One tensor moved from the file to the model. */
export interface TorchTensorMapping {
  /** The file's name, e.g. `net.0.weight`. */
  torch: string;
  /** The model's name, e.g. `fc1.weight`. */
  ours: string;
  /** Whether the values were transposed on the way (a Linear weight). */
  transposed: boolean;
}

/** What {@link loadTorchStateDict} did. */
export interface TorchLoadInfo {
  /** Every tensor written, in the model's order. */
  loaded: TorchTensorMapping[];
  /** The file's tensors that were not loaded: `num_batches_tracked`, and what `strict: false` let through. */
  ignored: string[];
  /** The file's `__metadata__` (`safetensors.torch.save_file` writes `{ format: 'pt' }`). */
  metadata: Record<string, string>;
}

/** Options of {@link saveTorchStateDict}. */
export interface SaveTorchStateDictOptions {
  /** Put before every name, as {@link LoadTorchStateDictOptions.prefix} (default `''`). */
  prefix?: string;
}

/** The fields of PyTorch's Linear and BatchNorm1d, the only modules whose tensors we take. */
const FIELDS = new Set(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);

/** The advice for a file our reader refuses by dtype (the typical cause: BatchNorm1d's I64 counter, or a model in half precision). */
const DTYPE_ADVICE =
  "save float32 tensors without the I64 counter: save_file({k: v.float() for k, v in model.state_dict().items() if not k.endswith('num_batches_tracked')}, path)";

/** A module of the file: its index in the Sequential and its tensors by field. */
interface TorchModule {
  index: number;
  fields: Map<string, NamedTensor>;
}

/** A layer of the model that holds tensors, and what it is. */
type OurLayer = { kind: 'Linear'; layer: Linear } | { kind: 'BatchNorm1d'; layer: BatchNorm };

function fail(message: string): never {
  throw new CheckpointError(`loadTorchStateDict: ${message}`);
}

const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;
const q = (s: string): string => quoteString(s);
const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** `'net'` and `'net.'` → `'net.'`; `''` stays. */
function normalizePrefix(where: string, prefix: unknown): string {
  if (prefix === undefined || prefix === '') return '';
  if (typeof prefix !== 'string') throw new ArgumentError(`${where}: prefix must be a string, got ${describeValue(prefix)}`);
  return prefix.endsWith('.') ? prefix : `${prefix}.`;
}

function checkOptions(where: string, options: unknown, known: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new ArgumentError(`${where}: options must be an object, got ${describeValue(options)}`);
  for (const k of Object.keys(options)) if (!known.includes(k)) throw new ArgumentError(`${where}: unknown option ${q(k)} (options: ${known.join(', ')})`);
  return options as Record<string, unknown>;
}

/**
 * The model's layers that hold tensors, in order. Refuses layers PyTorch has no counterpart for
 * here, and weight-scaling dropout: PyTorch's nn.Dropout is inverted, so the same weights would
 * give other outputs at inference.
 */
function ourLayers(where: string, model: Sequential): OurLayer[] {
  const m = model as Partial<Sequential> | null | undefined;
  if (typeof m !== 'object' || m === null || !Array.isArray(m.layers) || typeof m.arena !== 'object' || typeof m.buffers !== 'object')
    throw new ArgumentError(`${where}: the model must be a Sequential (with layers, an arena and buffers), got ${describeValue(model)}`);
  const out: OurLayer[] = [];
  for (const l of m.layers as readonly Layer[]) {
    if (l instanceof Linear) out.push({ kind: 'Linear', layer: l });
    else if (l instanceof BatchNorm) out.push({ kind: 'BatchNorm1d', layer: l });
    else if (l.params().length > 0 || (l.buffers?.().length ?? 0) > 0)
      throw new ArgumentError(
        `${where}: layer ${q(l.name)} has parameters or buffers but is neither a Linear nor a BatchNorm: PyTorch's names for it are unknown`,
      );
    else if (l instanceof Dropout && l.rule === 'weight-scaling')
      throw new ArgumentError(
        `${where}: layer ${q(l.name)} uses the weight-scaling dropout rule; PyTorch's nn.Dropout is inverted, so its weights mean something else here (build the model with dropoutRule 'inverted')`,
      );
  }
  return out;
}

/** How a layer reads in messages: `fc1 (Linear 784 → 256, with bias)`. */
function describeLayer(o: OurLayer): string {
  if (o.kind === 'Linear') return `${o.layer.name} (Linear ${o.layer.inFeatures} → ${o.layer.outFeatures}, ${o.layer.hasBias ? 'with' : 'without'} bias)`;
  return `${o.layer.name} (BatchNorm ${o.layer.features})`;
}

/** How a module of the file reads in messages: `module 3 (3.weight [10, 256], 3.bias [10])`. */
function describeModule(m: TorchModule): string {
  return `module ${m.index} (${[...m.fields.values()].map((t) => `${q(t.name)} ${fmt(t.shape)}`).join(', ')})`;
}

/**
 * The file's tensors under `prefix`, grouped by module index and sorted by it as a number; the
 * names that do not fit `<index>.<field>` go to `others`.
 */
function groupModules(tensors: ReadonlyMap<string, NamedTensor>, prefix: string): { modules: TorchModule[]; others: string[] } {
  const byIndex = new Map<number, TorchModule>();
  const others: string[] = [];
  for (const [name, t] of tensors) {
    const rest = name.startsWith(prefix) ? name.slice(prefix.length) : null;
    const m = rest === null ? null : /^(0|[1-9][0-9]{0,8})\.([a-z_]+)$/.exec(rest);
    if (!m || !FIELDS.has(m[2])) {
      others.push(name);
      continue;
    }
    const index = Number(m[1]);
    const mod = byIndex.get(index) ?? { index, fields: new Map<string, NamedTensor>() };
    byIndex.set(index, mod);
    mod.fields.set(m[2], t);
  }
  return { modules: [...byIndex.values()].sort((a, b) => a.index - b.index), others };
}

/** A hint for a file none of whose names fit the prefix given: the prefixes its names do have. */
function prefixHint(names: readonly string[]): string {
  const found = new Set<string>();
  for (const n of names) {
    const m = /^(?:(.*)\.)?(?:0|[1-9][0-9]*)\.[a-z_]+$/.exec(n);
    if (m) found.add(m[1] ?? '');
  }
  const list = [...found].slice(0, 4);
  if (list.length > 0)
    return `; its names have the prefix ${list.map((p) => (p === '' ? "'' (none)" : q(p))).join(', ')}: pass { prefix: ${list[0] === '' ? "''" : q(list[0])} }`;
  if (names.some((n) => /^(fc|bn)[0-9]+\.(weight|bias|gamma|beta|runningMean|runningVar)$/.test(n)))
    return ' (it looks like one of our own checkpoints: load it with loadCheckpoint)';
  return '';
}

/** The F32 values of a tensor that must have `shape`; refuses naming the tensor, the expected and the found shape. */
function take(t: NamedTensor | undefined, shape: readonly number[], what: string, hint = ''): Float32Array {
  if (!t) return fail(`the file has no tensor for ${what} (shape ${fmt(shape)})`);
  if (!sameShape(t.shape, shape)) fail(`tensor ${q(t.name)} has shape ${fmt(t.shape)}, expected ${fmt(shape)} for ${what}${hint}`);
  return t.data;
}

/** PyTorch's [out, in] row-major weight as our [in, out]. */
function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c];
  return out;
}

/**
 * Loads a PyTorch `state_dict` (a safetensors file from `safetensors.torch.save_file`) of an
 * `nn.Sequential` of Linear and BatchNorm1d layers into `model`. Checks everything first and writes
 * only then: on any {@link CheckpointError} (the file does not fit: names, shapes, kinds, a bias on
 * one side only, a dtype other than F32, a NaN or infinity) or {@link ArgumentError} (bad
 * arguments), the model is unchanged. See the top of this file for the mapping.
 */
export function loadTorchStateDict(bytes: Uint8Array, model: Sequential, options?: LoadTorchStateDictOptions): TorchLoadInfo {
  const where = 'loadTorchStateDict';
  const opts = checkOptions(where, options, ['prefix', 'strict']);
  const prefix = normalizePrefix(where, opts.prefix);
  const strict = opts.strict ?? true;
  if (typeof strict !== 'boolean') throw new ArgumentError(`${where}: strict must be a boolean, got ${describeValue(strict)}`);
  const ours = ourLayers(where, model);

  let decoded: ReturnType<typeof decodeSafetensors>;
  try {
    decoded = decodeSafetensors(bytes);
  } catch (e) {
    if (!(e instanceof CheckpointError)) throw e;
    return fail(`${e.message}${/only F32 tensors/.test(e.message) ? `. From PyTorch, ${DTYPE_ADVICE}` : ''}`);
  }
  const { tensors, metadata } = decoded;
  const { modules, others } = groupModules(tensors, prefix);
  const ignored: string[] = [];
  if (modules.length === 0)
    fail(
      `the file has no tensor named ${q(`${prefix}<index>.weight`)} or the like (its names: ${[...tensors.keys()].slice(0, 4).map(q).join(', ') || 'none'})${prefixHint(others)}`,
    );
  if (strict && others.length > 0)
    fail(
      `the file has ${others.length} tensor(s) that are not ${q(`${prefix}<index>.<field>`)} of a Linear or BatchNorm1d: ${others
        .slice(0, 6)
        .map((n) => `${q(n)} ${fmt(tensors.get(n)!.shape)}`)
        .join(', ')}${others.length > 6 ? ', …' : ''} (pass { strict: false } to skip them)`,
    );
  ignored.push(...others);
  if (strict && modules.length !== ours.length) {
    const extra =
      modules.length > ours.length
        ? `the file's ${modules.slice(ours.length).map(describeModule).join(', ')} ${modules.length - ours.length === 1 ? 'has' : 'have'} no layer in the model`
        : `the model's ${ours.slice(modules.length).map(describeLayer).join(', ')} ${ours.length - modules.length === 1 ? 'has' : 'have'} no module in the file`;
    fail(
      `the file has ${modules.length} module(s) with tensors, the model ${ours.length} layer(s) with parameters: ${extra} (pass { strict: false } to load the ones that pair up)`,
    );
  }
  for (const m of modules.slice(ours.length)) ignored.push(...[...m.fields.values()].map((t) => t.name));

  // Every value is checked and laid out in our layout on the host before anything is written.
  const params: [string, Float32Array][] = [];
  const buffers: [string, Float32Array][] = [];
  const loaded: TorchTensorMapping[] = [];
  const pairs = Math.min(modules.length, ours.length);
  for (let i = 0; i < pairs; i++) {
    const mod = modules[i];
    const o = ours[i];
    const f = mod.fields;
    const name = (field: string) => `${prefix}${mod.index}.${field}`;
    const isNorm = f.has('running_mean') || f.has('running_var');
    const weight = f.get('weight');
    const kind = isNorm ? 'BatchNorm1d' : weight?.shape.length === 2 ? 'Linear' : null;
    if (kind === null) {
      const what = !weight
        ? 'tensors but no weight'
        : weight.shape.length === 1
          ? 'a 1-D weight and no running statistics (a BatchNorm1d with track_running_stats=False, or a LayerNorm?)'
          : `a ${weight.shape.length}-D weight (a convolution?)`;
      fail(`${describeModule(mod)} has ${what}: only nn.Linear and nn.BatchNorm1d load (pairs with ${describeLayer(o)})`);
    }
    if (kind !== o.kind) fail(`${describeModule(mod)} is a ${kind}, but the model's layer ${i + 1} with parameters is ${describeLayer(o)}`);
    for (const field of f.keys())
      if (field !== 'num_batches_tracked' && !(kind === 'Linear' ? ['weight', 'bias'] : ['weight', 'bias', 'running_mean', 'running_var']).includes(field))
        fail(`tensor ${q(name(field))}: an nn.${kind} has no ${q(field)} (pairs with ${describeLayer(o)})`);
    if (f.has('num_batches_tracked')) ignored.push(name('num_batches_tracked'));

    if (o.kind === 'Linear') {
      const { inFeatures: nIn, outFeatures: nOut, hasBias } = o.layer;
      const flipped =
        nIn !== nOut && weight && sameShape(weight.shape, [nIn, nOut]) ? ' (it is [in, out]: already transposed? nn.Linear stores [out, in])' : '';
      const w = take(weight, [nOut, nIn], `${o.layer.name}.weight transposed (nn.Linear's [out, in] of ${describeLayer(o)})`, flipped);
      const bias = f.get('bias');
      if (hasBias && !bias)
        fail(`the file has no ${q(name('bias'))}, but ${describeLayer(o)} has one (built with bias=False in PyTorch? build ours with bias: false)`);
      if (!hasBias && bias) fail(`the file has ${q(bias.name)} ${fmt(bias.shape)}, but ${describeLayer(o)} has none (build ours with bias: true)`);
      params.push([`${o.layer.name}.weight`, transpose(w, nOut, nIn)]);
      loaded.push({ torch: weight!.name, ours: `${o.layer.name}.weight`, transposed: true });
      if (bias) {
        params.push([`${o.layer.name}.bias`, take(bias, [nOut], `${o.layer.name}.bias`)]);
        loaded.push({ torch: bias.name, ours: `${o.layer.name}.bias`, transposed: false });
      }
    } else {
      const n = o.layer.features;
      const affine = f.has('weight') || f.has('bias');
      if (!affine) fail(`${describeModule(mod)} has no weight and bias (BatchNorm1d(affine=False)), but ${describeLayer(o)} always has γ and β`);
      for (const [field, ourField, into] of [
        ['weight', 'gamma', params],
        ['bias', 'beta', params],
        ['running_mean', 'runningMean', buffers],
        ['running_var', 'runningVar', buffers],
      ] as const) {
        const t = f.get(field);
        if (!t) fail(`the file has no ${q(name(field))} for ${o.layer.name}.${ourField} (shape ${fmt([n])})`);
        into.push([`${o.layer.name}.${ourField}`, take(t, [n], `${o.layer.name}.${ourField} of ${describeLayer(o)}`)]);
        loaded.push({ torch: t.name, ours: `${o.layer.name}.${ourField}`, transposed: false });
      }
    }
  }

  model.arena.values.assertAlive(where);
  if (buffers.length > 0) model.buffers.values.assertAlive(where);
  for (const [n, v] of params) model.arena.setValues(n, v);
  for (const [n, v] of buffers) model.buffers.setValues(n, v);
  return { loaded, ignored, metadata };
}

/**
 * Writes the model's Linear and BatchNorm weights as a PyTorch `state_dict` in safetensors form
 * (F32, `{ format: 'pt' }` metadata, as `safetensors.torch.save_file` writes), for
 * `model.load_state_dict(safetensors.torch.load_file(path))` into the matching `nn.Sequential`.
 * Indices are those of a Sequential built layer for layer (a Linear with a fused ReLU counts as
 * two modules, Linear then ReLU), so `createMlp({ sizes: [784, 256, 10], hiddenDropout })` gives
 * `0.*` and `3.*` as `nn.Sequential(Linear, ReLU, Dropout, Linear)` has. There is no
 * `num_batches_tracked` (PyTorch fills it in when it is missing). Reads the GPU after pending work.
 */
export async function saveTorchStateDict(model: Sequential, options?: SaveTorchStateDictOptions): Promise<Uint8Array> {
  const where = 'saveTorchStateDict';
  const prefix = normalizePrefix(where, checkOptions(where, options, ['prefix']).prefix);
  ourLayers(where, model);
  const [values, bufs] = await Promise.all([model.arena.values.toArray(), model.buffers.values.toArray()]);
  const param = (name: string) => {
    const p = model.arena.param(name);
    return values.subarray(p.offset, p.offset + p.size);
  };
  const buffer = (name: string) => {
    const b = model.buffers.buffer(name);
    return bufs.subarray(b.offset, b.offset + b.size);
  };
  const out: NamedTensor[] = [];
  let index = 0;
  for (const l of model.layers) {
    const at = `${prefix}${index}.`;
    if (l instanceof Linear) {
      const { inFeatures: nIn, outFeatures: nOut } = l;
      out.push({ name: `${at}weight`, shape: [nOut, nIn], data: transpose(param(`${l.name}.weight`), nIn, nOut) });
      if (l.hasBias) out.push({ name: `${at}bias`, shape: [nOut], data: param(`${l.name}.bias`).slice() });
      if (l.activation === 'relu') index++;
    } else if (l instanceof BatchNorm) {
      const n = [l.features];
      out.push({ name: `${at}weight`, shape: n, data: param(`${l.name}.gamma`).slice() });
      out.push({ name: `${at}bias`, shape: n, data: param(`${l.name}.beta`).slice() });
      out.push({ name: `${at}running_mean`, shape: n, data: buffer(`${l.name}.runningMean`).slice() });
      out.push({ name: `${at}running_var`, shape: n, data: buffer(`${l.name}.runningVar`).slice() });
    }
    index++;
  }
  return encodeSafetensors(out, { format: 'pt' });
}
