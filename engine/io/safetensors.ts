/**
 * The safetensors file format (Hugging Face's), written and read without dependencies, in the
 * browser and in Node:
 *
 *   [8 bytes: N, the header's length, unsigned 64-bit little-endian]
 *   [N bytes: a UTF-8 JSON object { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: { string: string } },
 *             padded with spaces to a multiple of 8 bytes]
 *   [the tensors' bytes, little-endian, row-major; offsets are relative to the first byte after the header]
 *
 * The reader checks everything the reference implementation checks (the header's length and JSON,
 * each entry's dtype, shape and offsets, that the offsets tile the data with no gap or overlap, and
 * that the file is exactly as long as they say) and names the tensor, the offset and what was
 * expected when something is wrong. Tensors are F32 here: the engine's only floating-point dtype.
 */
import { EngineError } from '../runtime/errors';

/** A checkpoint or safetensors file that cannot be read, or that does not fit what it is loaded into. */
export class CheckpointError extends EngineError {
  constructor(message: string) {
    super('BAD_CHECKPOINT', message);
  }
}

/** One tensor of a safetensors file. */
export interface NamedTensor {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

/** What {@link decodeSafetensors} returns. */
export interface SafetensorsContents {
  /** The tensors by name, in the order of their data in the file. */
  tensors: Map<string, NamedTensor>;
  /** The `__metadata__` map (empty when the file has none). */
  metadata: Record<string, string>;
}

/** The largest header the reader accepts (the reference implementation's limit): 100 MB. */
export const MAX_HEADER_BYTES = 100_000_000;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Bytes per element of the dtypes the format names (for messages and size checks). */
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Encodes tensors (F32) and string metadata as a safetensors file. Tensors are laid out in the order
 * given; names must be unique, non-empty and not `__metadata__`, and each tensor's data must fill its shape.
 */
export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new CheckpointError(`encodeSafetensors: metadata "${k}" is a ${typeof v}; the format allows only strings`);
    }
    header.__metadata__ = { ...metadata };
  }
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '' || t.name === '__metadata__') throw new CheckpointError(`encodeSafetensors: "${t.name}" is not a valid tensor name`);
    if (Object.hasOwn(header, t.name)) throw new CheckpointError(`encodeSafetensors: two tensors are called "${t.name}"`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw new CheckpointError(`encodeSafetensors: ${t.name} has shape [${t.shape.join(', ')}] (non-negative integers expected)`);
    const n = elementCount(t.shape);
    if (t.data.length !== n)
      throw new CheckpointError(`encodeSafetensors: ${t.name} has ${t.data.length} values for shape [${t.shape.join(', ')}] (${n} elements)`);
    header[t.name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + n * 4] };
    offset += n * 4;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let at = 8 + padded;
  for (const t of tensors) {
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    } else {
      for (let i = 0; i < t.data.length; i++) view.setFloat32(at + 4 * i, t.data[i], true);
    }
    at += t.data.byteLength;
  }
  return out;
}

/**
 * Decodes a safetensors file of F32 tensors. Throws {@link CheckpointError} naming what is wrong
 * (and where) for a truncated or corrupted file, or a tensor of another dtype.
 */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsContents {
  const fail = (msg: string): never => {
    throw new CheckpointError(`safetensors: ${msg}`);
  };
  if (!(bytes instanceof Uint8Array)) fail(`expected the file's bytes as a Uint8Array, got ${Object.prototype.toString.call(bytes)}`);
  if (bytes.length < 8) fail(`the file is ${bytes.length} bytes long, shorter than the 8-byte header length (truncated?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) fail(`the header length at offset 0 says ${n64} bytes, more than the ${MAX_HEADER_BYTES} allowed (corrupted?)`);
  const n = Number(n64);
  if (8 + n > bytes.length) fail(`the header length at offset 0 says ${n} bytes, but only ${bytes.length - 8} follow (truncated?)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail(`the header (bytes 8 to ${8 + n}) is not valid UTF-8`);
  }
  if (!text.startsWith('{')) fail(`the header (bytes 8 to ${8 + n}) does not start with '{'`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`the header (bytes 8 to ${8 + n}) is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return fail('the header is not a JSON object');

  const metadata: Record<string, string> = {};
  const entries: { name: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('"__metadata__" is not an object of strings');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`"__metadata__"."${k}" is a ${v === null ? 'null' : typeof v}, not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    if (typeof raw !== 'object' || raw === null) return fail(`the entry of tensor "${name}" is not an object`);
    const { dtype, shape, data_offsets: offsets } = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) fail(`tensor "${name}" has dtype ${JSON.stringify(dtype)}, not one the format defines`);
    if (dtype !== 'F32') fail(`tensor "${name}" is ${dtype}; only F32 tensors can be loaded (convert it, e.g. numpy's .astype(np.float32))`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      fail(`tensor "${name}" has shape ${JSON.stringify(shape)} (a list of non-negative integers expected)`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor "${name}" has data_offsets ${JSON.stringify(offsets)} (two non-negative integers [begin, end] expected)`);
    }
    const [begin, end] = offsets as number[];
    const want = elementCount(shape as number[]) * 4;
    if (end < begin || end - begin !== want)
      fail(
        `tensor "${name}" has data_offsets [${begin}, ${end}] (${end - begin} bytes), but F32 shape [${(shape as number[]).join(', ')}] needs ${want} bytes`,
      );
    entries.push({ name, shape: shape as number[], begin, end });
  }

  const dataStart = 8 + n;
  const dataBytes = bytes.length - dataStart;
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of entries) {
    if (e.begin !== expected) {
      fail(
        e.begin < expected
          ? `tensor "${e.name}" at data_offsets [${e.begin}, ${e.end}] overlaps the tensor before it (which ends at ${expected})`
          : `the data has a gap: nothing covers bytes ${expected} to ${e.begin}, where tensor "${e.name}" starts`,
      );
    }
    expected = e.end;
  }
  if (expected > dataBytes) {
    const last = entries.find((e) => e.end > dataBytes)!;
    fail(
      `tensor "${last.name}" ends at data offset ${last.end} (file offset ${dataStart + last.end}), but the file has only ${dataBytes} data bytes (truncated?)`,
    );
  }
  if (expected < dataBytes)
    fail(`the file has ${dataBytes - expected} bytes after the last tensor (data offset ${expected}): it is not what the header describes`);

  const tensors = new Map<string, NamedTensor>();
  for (const e of entries) {
    const count = (e.end - e.begin) / 4;
    const at = dataStart + e.begin;
    let data: Float32Array;
    if (LITTLE_ENDIAN) {
      data = new Float32Array(count);
      new Uint8Array(data.buffer).set(bytes.subarray(at, at + count * 4));
    } else {
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(at + 4 * i, true);
    }
    tensors.set(e.name, { name: e.name, shape: e.shape, data });
  }
  return { tensors, metadata };
}
