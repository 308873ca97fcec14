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
 *
 * Files come from other people, so the reader parses within a budget and is stricter than JSON:
 *   - The header is never given to `JSON.parse`. A reader of exactly the format's schema walks its
 *     bytes once: every value has one expected type (an object of entries, an entry's three fields, a
 *     list of integers, a string), so there is no recursion and no nesting beyond the format's own
 *     (depth 3): a `[` or `{` where the schema has none is refused where it stands, whatever follows.
 *   - What it keeps is bounded: at most {@link MAX_TENSORS} tensors, {@link MAX_METADATA_ENTRIES}
 *     metadata entries and shapes of rank {@link MAX_RANK}; strings are decoded one by one (never the
 *     whole header at once), and the tensors' data are views of one copy of the data section. Apart
 *     from those bounded tables, a decode holds one copy of the data and of the strings, and at most
 *     one more of a string while it is decoded: memory grows by at most twice the file's size plus a
 *     constant.
 *   - Refused as the reference refuses them: a header longer than {@link MAX_HEADER_BYTES} or than the
 *     file, invalid UTF-8 or JSON, a dtype outside the format, a number that is not a plain integer
 *     (`1.0`, `-0`, `1e3`), a lone surrogate escape, a duplicate field, anything after the object but
 *     whitespace. Refused beyond it: a byte-order mark or anything else before the `{`, duplicate
 *     tensor names or metadata keys (the format forbids them; JSON's "last one wins" would load a
 *     tensor nobody checked), fields an entry does not have, a `__metadata__` that is not an object of
 *     strings, and NaN or ±Infinity in the data unless `allowNonFinite` is set.
 *   - Messages quote what the file says only cut short ({@link quoteString}) or as a short raw excerpt.
 */
import { quoteString } from '../runtime/errors';
import { CheckpointError, elementCount, HeaderReader, MAX_HEADER_BYTES } from './safetensors-header';

export { CheckpointError, MAX_HEADER_BYTES, MAX_METADATA_ENTRIES, MAX_RANK, MAX_TENSORS } from './safetensors-header';

/** One tensor of a safetensors file. */
export interface NamedTensor {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

/** What {@link decodeSafetensors} returns. */
export interface SafetensorsContents {
  /**
   * The tensors by name, in the order of their data in the file. Their `data` are views of one copy
   * of the file's data section (not of the file's bytes): keeping one keeps that copy.
   */
  tensors: Map<string, NamedTensor>;
  /** The `__metadata__` map (empty when the file has none); every key is an own property, `__proto__` included. */
  metadata: Record<string, string>;
}

/** Options of {@link decodeSafetensors}. */
export interface DecodeSafetensorsOptions {
  /**
   * Accept NaN and ±Infinity in the tensors' data (default false: such a file is refused, naming the
   * tensor and the first non-finite element). A model loaded with them trains to NaN within a step.
   */
  allowNonFinite?: boolean;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Encodes tensors (F32) and string metadata as a safetensors file. Tensors are laid out in the order
 * given; names must be unique, non-empty and not `__metadata__`, and each tensor's data must fill its shape.
 */
export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  // No prototype: a tensor or metadata key called "__proto__" is an entry like any other.
  const header: Record<string, unknown> = Object.create(null);
  if (typeof metadata !== 'object' || metadata === null) throw new CheckpointError('encodeSafetensors: metadata must be an object of strings');
  if (Object.keys(metadata).length > 0) {
    const meta: Record<string, string> = Object.create(null);
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new CheckpointError(`encodeSafetensors: metadata ${quoteString(k)} is a ${typeof v}; the format allows only strings`);
      meta[k] = v;
    }
    header.__metadata__ = meta;
  }
  let offset = 0;
  for (const t of tensors) {
    if (typeof t.name !== 'string' || t.name === '' || t.name === '__metadata__')
      throw new CheckpointError(`encodeSafetensors: ${typeof t.name === 'string' ? quoteString(t.name) : typeof t.name} is not a valid tensor name`);
    if (Object.hasOwn(header, t.name)) throw new CheckpointError(`encodeSafetensors: two tensors are called ${quoteString(t.name)}`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw new CheckpointError(`encodeSafetensors: ${t.name} has shape [${t.shape.join(', ')}] (non-negative integers expected)`);
    const n = elementCount(t.shape);
    if (!(t.data instanceof Float32Array) || t.data.length !== n)
      throw new CheckpointError(`encodeSafetensors: ${t.name} has ${t.data?.length} values for shape [${t.shape.join(', ')}] (${n} elements)`);
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

/** The index and kind of the first NaN or ±Infinity in `data`, or undefined. */
function firstNonFinite(data: Float32Array): { index: number; value: string } | undefined {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < bits.length; i++) {
    const u = bits[i];
    if ((u & 0x7f800000) === 0x7f800000) return { index: i, value: u & 0x007fffff ? 'NaN' : u >>> 31 ? '-Infinity' : 'Infinity' };
  }
  return undefined;
}

/** The multi-index of flat element `i` of `shape`, as `[r, c]`. */
function multiIndex(i: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let k = shape.length - 1; k >= 0; k--) {
    idx.unshift(i % shape[k]);
    i = Math.floor(i / shape[k]);
  }
  return `[${idx.join(', ')}]`;
}

/**
 * Decodes a safetensors file of F32 tensors. Throws {@link CheckpointError} naming what is wrong
 * (and where) for a truncated, corrupted or malformed file, a tensor of another dtype, or (unless
 * `allowNonFinite`) a NaN or infinite value. See the top of this file for what is refused and why.
 */
export function decodeSafetensors(bytes: Uint8Array, options: DecodeSafetensorsOptions = {}): SafetensorsContents {
  const fail = (msg: string): never => {
    throw new CheckpointError(`safetensors: ${msg}`);
  };
  if (!(bytes instanceof Uint8Array)) fail(`expected the file's bytes as a Uint8Array, got ${Object.prototype.toString.call(bytes)}`);
  if (typeof options !== 'object' || options === null) fail('the options must be an object');
  const allowNonFinite = options.allowNonFinite ?? false;
  if (typeof allowNonFinite !== 'boolean') fail(`allowNonFinite must be a boolean, got ${typeof allowNonFinite}`);
  if (bytes.length < 8) fail(`the file is ${bytes.length} bytes long, shorter than the 8-byte header length (truncated?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) fail(`the header length at offset 0 says ${n64} bytes, more than the ${MAX_HEADER_BYTES} allowed (corrupted?)`);
  const n = Number(n64);
  if (8 + n > bytes.length) fail(`the header length at offset 0 says ${n} bytes, but only ${bytes.length - 8} follow (truncated?)`);
  const { entries, metadata } = new HeaderReader(bytes, 8, 8 + n).header();

  const dataStart = 8 + n;
  const dataBytes = bytes.length - dataStart;
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of entries) {
    if (e.begin !== expected) {
      fail(
        e.begin < expected
          ? `tensor ${quoteString(e.name)} at data_offsets [${e.begin}, ${e.end}] overlaps the tensor before it (which ends at ${expected})`
          : `the data has a gap: nothing covers bytes ${expected} to ${e.begin}, where tensor ${quoteString(e.name)} starts`,
      );
    }
    expected = e.end;
  }
  if (expected > dataBytes) {
    const last = entries.find((e) => e.end > dataBytes)!;
    fail(
      `tensor ${quoteString(last.name)} ends at data offset ${last.end} (file offset ${dataStart + last.end}), but the file has only ${dataBytes} data bytes (truncated?)`,
    );
  }
  if (expected < dataBytes)
    fail(`the file has ${dataBytes - expected} bytes after the last tensor (data offset ${expected}): it is not what the header describes`);

  // One copy of the data section; each tensor's data is a view of it (offsets tile it in multiples of 4).
  const all = new Float32Array(dataBytes / 4);
  if (LITTLE_ENDIAN) new Uint8Array(all.buffer).set(bytes.subarray(dataStart));
  else for (let i = 0; i < all.length; i++) all[i] = view.getFloat32(dataStart + 4 * i, true);
  if (!allowNonFinite) {
    const bad = firstNonFinite(all);
    if (bad) {
      const e = entries.find((x) => x.end > 4 * bad.index)!;
      const i = bad.index - e.begin / 4;
      fail(
        `tensor ${quoteString(e.name)} has ${bad.value} at index ${i} (element ${multiIndex(i, e.shape)}, file offset ${dataStart + 4 * bad.index}); pass { allowNonFinite: true } to load non-finite values`,
      );
    }
  }
  const tensors = new Map<string, NamedTensor>();
  for (const e of entries) tensors.set(e.name, { name: e.name, shape: e.shape, data: all.subarray(e.begin / 4, e.end / 4) });
  return { tensors, metadata };
}
