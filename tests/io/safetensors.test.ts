/**
 * The safetensors codec on the CPU: a round trip keeps every bit (NaN payloads, -0, denormals
 * included), the bytes follow the format (little-endian header length, JSON header padded with
 * spaces to 8 bytes, offsets relative to the data), and every kind of damage is refused with an
 * error that says where: each truncation point, header lengths past the end, bad JSON, other
 * dtypes, offsets that disagree with the shape, gaps, overlaps and trailing bytes.
 */
import { describe, expect, it } from 'vitest';
import { CheckpointError, crc32, decodeSafetensors, encodeSafetensors, type NamedTensor } from '../../engine/io/index';
import { randomArray } from '../helpers/random';

/** Builds a file from a hand-written header object and data bytes (for malformed files). */
function rawFile(header: unknown, data: Uint8Array, pad = true): Uint8Array {
  let json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  if (pad && json.length % 8 !== 0) {
    const p = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

const special = new Float32Array([0, -0, 1, -1, Infinity, -Infinity, 1e-45, -1e-45, 3.4028234663852886e38, 1.1754943508222875e-38]);
const nanPayload = new Float32Array(new Uint32Array([0x7fc00001, 0xffbfffff]).buffer);

describe('safetensors: encode and decode', () => {
  const tensors: NamedTensor[] = [
    { name: 'fc1.weight', shape: [3, 5], data: randomArray(15, 1) },
    { name: 'fc1.bias', shape: [5], data: randomArray(5, 2) },
    { name: 'special', shape: [2, 5], data: special },
    { name: 'nan', shape: [2], data: nanPayload },
    { name: 'scalar', shape: [], data: new Float32Array([7.25]) },
    { name: 'empty', shape: [0, 4], data: new Float32Array(0) },
  ];

  it('round-trips every tensor bit for bit, with its shape, order and metadata', () => {
    const bytes = encodeSafetensors(tensors, { run: 'a', epoch: '3' });
    // NaN and ±Infinity are refused unless asked for (tests/io/hostile.test.ts covers the refusal).
    expect(() => decodeSafetensors(bytes)).toThrow(/tensor "special" has Infinity at index 4 \(element \[0, 4\]/);
    const got = decodeSafetensors(bytes, { allowNonFinite: true });
    expect([...got.tensors.keys()]).toEqual(tensors.map((t) => t.name));
    for (const t of tensors) {
      const g = got.tensors.get(t.name)!;
      expect(g.shape).toEqual(t.shape);
      expect(bits(g.data)).toEqual(bits(t.data));
    }
    expect(got.metadata).toEqual({ run: 'a', epoch: '3' });
  });

  it('lays the bytes out as the format says', () => {
    const bytes = encodeSafetensors([{ name: 'w', shape: [2], data: new Float32Array([1.5, -2]) }], { k: 'v' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text.trimEnd()).toBe('{"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}');
    expect(text.slice(text.trimEnd().length)).toMatch(/^ *$/);
    const data = new DataView(bytes.buffer, 8 + n);
    expect(bytes.length).toBe(8 + n + 8);
    expect([data.getFloat32(0, true), data.getFloat32(4, true)]).toEqual([1.5, -2]);
  });

  it('refuses to write what the format cannot hold', () => {
    const d = new Float32Array(2);
    expect(() => encodeSafetensors([{ name: 'a', shape: [3], data: d }])).toThrow(/a has 2 values for shape \[3\]/);
    expect(() =>
      encodeSafetensors([
        { name: 'a', shape: [2], data: d },
        { name: 'a', shape: [2], data: d },
      ]),
    ).toThrow(/two tensors are called "a"/);
    expect(() => encodeSafetensors([{ name: '__metadata__', shape: [2], data: d }])).toThrow(CheckpointError);
    expect(() => encodeSafetensors([], { n: 3 as unknown as string })).toThrow(/metadata "n" is a number/);
  });

  it('refuses every truncation of a file, naming what is missing', () => {
    const bytes = encodeSafetensors(tensors.slice(0, 3));
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    for (let cut = 0; cut < bytes.length; cut++) {
      const short = bytes.slice(0, cut);
      let err: unknown;
      try {
        decodeSafetensors(short);
      } catch (e) {
        err = e;
      }
      expect(err, `cut at ${cut}`).toBeInstanceOf(CheckpointError);
      const msg = (err as Error).message;
      if (cut < 8) expect(msg).toMatch(new RegExp(`the file is ${cut} bytes long`));
      else if (cut < 8 + n) expect(msg).toMatch(new RegExp(`header length at offset 0 says ${n} bytes, but only ${cut - 8} follow`));
      else expect(msg, `cut at ${cut}`).toMatch(/tensor "(fc1.weight|fc1.bias|special)" ends at data offset \d+ .*only \d+ data bytes \(truncated\?\)/);
    }
  });

  it('refuses corrupted headers and data layouts, saying where', () => {
    const f32 = (n: number) => new Uint8Array(4 * n);
    const cases: [Uint8Array, RegExp][] = [
      [
        (() => {
          const b = encodeSafetensors(tensors.slice(0, 1));
          new DataView(b.buffer).setBigUint64(0, 1n << 40n, true);
          return b;
        })(),
        /header length at offset 0 says 1099511627776 bytes, more than the 100000000 allowed/,
      ],
      [rawFile('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]', f32(1)), /not valid JSON/],
      [rawFile('[1, 2]', new Uint8Array(0)), /does not start with '\{'/],
      [
        (() => {
          const b = rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(1));
          b[9] = 0xff;
          return b;
        })(),
        /not valid UTF-8/,
      ],
      [rawFile({ a: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, f32(1)), /tensor "a" is F16; only F32/],
      [rawFile({ a: { dtype: 'X9', shape: [2], data_offsets: [0, 8] } }, f32(2)), /tensor "a" has dtype "X9", not one the format defines/],
      [rawFile({ a: { dtype: 'F32', shape: [2, -1], data_offsets: [0, 8] } }, f32(2)), /tensor "a" has shape \[2,-1\]/],
      [
        rawFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(2)),
        /tensor "a" has data_offsets \[0, 8\] \(8 bytes\), but F32 shape \[3\] needs 12 bytes/,
      ],
      [rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0] } }, f32(1)), /tensor "a" has data_offsets \[0\]/],
      [
        rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, f32(3)),
        /gap: nothing covers bytes 4 to 8, where tensor "b" starts/,
      ],
      [
        rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(2)),
        /tensor "b" at data_offsets \[4, 8\] overlaps/,
      ],
      [rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2)), /4 bytes after the last tensor \(data offset 4\)/],
      [rawFile({ __metadata__: { a: 1 } }, new Uint8Array(0)), /"__metadata__"."a" is a number, not a string/],
      [rawFile({ a: 5 }, new Uint8Array(0)), /the entry of tensor "a" is not an object/],
    ];
    for (const [bytes, msg] of cases) {
      expect(() => decodeSafetensors(bytes), String(msg)).toThrow(msg);
    }
  });

  it('reads a header without padding and tensors stored out of order (the format allows both)', () => {
    const data = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
    const bytes = rawFile({ b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] }, a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, data, false);
    const got = decodeSafetensors(bytes);
    expect(Array.from(got.tensors.get('a')!.data)).toEqual([1, 2]);
    expect(Array.from(got.tensors.get('b')!.data)).toEqual([3]);
  });

  it('crc32 is the standard CRC-32 (IEEE), incremental', () => {
    const text = new TextEncoder().encode('123456789');
    expect(crc32(text).toString(16)).toBe('cbf43926'); // the check value of CRC-32/ISO-HDLC
    expect(crc32(text.subarray(4), crc32(text.subarray(0, 4)))).toBe(crc32(text));
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});
