/**
 * Hostile safetensors files. Checkpoints come from other people, so the reader is strict where the
 * format is (and where JSON is lax): a byte-order mark, duplicate keys, fields outside the format,
 * numbers that are not plain integers, dtypes that are only names on Object.prototype, lone
 * surrogates, NaN and ±Infinity in the data. Every refusal is a CheckpointError whose message quotes
 * the file only cut short, however deep or long what it quotes.
 *
 * Then a fast-check generator of malformed files (header lengths, truncations, nesting, duplicates,
 * offsets, dtypes, shapes, metadata, BOMs, NaN payloads with and without a valid CRC, huge claimed
 * sizes, bad UTF-8) against a trained model with Adam: each is refused with a CheckpointError in
 * well under the time budget, and the parameters, buffers, optimizer moments and step count stay
 * bit-identical. The 100 MB headers are ./budget.test.ts's, in child processes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Adam, CheckpointError, crc32, decodeSafetensors, encodeSafetensors, loadCheckpoint, saveCheckpoint, type NamedTensor } from '../../engine/index';
import { MAX_METADATA_ENTRIES, MAX_RANK, MAX_TENSORS } from '../../engine/io/safetensors';
import { useRuntime } from '../helpers/gpu';
import { runs } from '../property/fc';
import { rawFile } from './hostile-files';
import { fullState, makeModel, trainSteps } from './train-helper';

/** What `fn` throws (or undefined). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** Expects `fn` to throw a CheckpointError matching `msg`, with a short message. */
function expectRefused(what: string, fn: () => unknown, msg: RegExp): void {
  const e = thrown(fn);
  expect(e, what).toBeInstanceOf(CheckpointError);
  expect((e as Error).message, what).toMatch(msg);
  expect((e as Error).message.length, what).toBeLessThan(400);
}

/** A tensor entry's JSON text. */
const entry = (shape: string, offsets: string, dtype = '"F32"') => `{"dtype":${dtype},"shape":${shape},"data_offsets":${offsets}}`;
const f32 = (n: number) => new Uint8Array(4 * n);
const one = (extra = '') => `{"a":${entry('[1]', '[0,4]')}${extra}}`;

describe('safetensors: strict where the format is', () => {
  it('refuses what the format (or JSON) does not allow, naming it', () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(one())]);
    const cases: [string, Uint8Array, RegExp][] = [
      ['a byte-order mark', rawFile(bom, f32(1)), /does not start with '\{' \(it starts with a UTF-8 byte-order mark, which the format does not allow\)/],
      ['whitespace before the object', rawFile(` ${one()}`, f32(1)), /does not start with '\{'/],
      [
        'duplicate tensor names with other shapes',
        rawFile(`{"a":${entry('[1]', '[0,4]')},"a":${entry('[2]', '[0,8]')}}`, f32(2)),
        /two entries for tensor "a" \(the format forbids duplicate keys\)/,
      ],
      [
        'a duplicate spelled with an escape',
        rawFile(`{"a":${entry('[1]', '[0,4]')},"\\u0061":${entry('[1]', '[4,8]')}}`, f32(2)),
        /two entries for tensor "a"/,
      ],
      ['a duplicate field', rawFile('{"a":{"dtype":"F32","shape":[1],"shape":[1],"data_offsets":[0,4]}}', f32(1)), /tensor "a" has "shape" twice/],
      ['a duplicate metadata key', rawFile(`{"__metadata__":{"k":"1","k":"2"},"a":${entry('[1]', '[0,4]')}}`, f32(1)), /"__metadata__" has the key "k" twice/],
      ['two __metadata__', rawFile('{"__metadata__":{},"__metadata__":{}}'), /"__metadata__" twice/],
      [
        'a field outside the format',
        rawFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}}', f32(1)),
        /tensor "a" has the field "extra", which the format does not define/,
      ],
      ['a missing field', rawFile('{"a":{"dtype":"F32","shape":[1]}}', f32(1)), /tensor "a" has no "data_offsets"/],
      ['an empty entry', rawFile('{"a":{}}'), /the entry of tensor "a" is empty/],
      ['an entry that is an array', rawFile('{"a":[1,2]}'), /the entry of tensor "a" is not an object \(it is an array: \[1,2\] at byte 13\)/],
      ['metadata that is null', rawFile('{"__metadata__":null}'), /"__metadata__" is not an object of strings \(it is null/],
      ['a metadata number', rawFile('{"__metadata__":{"step":5}}'), /"__metadata__"."step" is a number, not a string/],
      ['a metadata object', rawFile('{"__metadata__":{"step":{}}}'), /"__metadata__"."step" is an object, not a string/],
      ['a trailing comma', rawFile(`{"a":${entry('[1]', '[0,4]')},}`, f32(1)), /not valid JSON: expected a key \(a string\) at byte \d+, found '\}'/],
      [
        'text after the object',
        rawFile(`${one()} x`, f32(1)),
        /not valid JSON: expected nothing but whitespace after the header's object at byte \d+, found 'x'/,
      ],
      ['NUL padding', rawFile(new Uint8Array([...new TextEncoder().encode(one()), 0, 0, 0]), f32(1)), /found the control character 0x00/],
      ['a raw control character in a name', rawFile(`{"a\tb":${entry('[1]', '[0,4]')}}`, f32(1)), /control characters must be escaped/],
      ['an unknown escape', rawFile(`{"a\\xb":${entry('[1]', '[0,4]')}}`, f32(1)), /expected an escape .* found 'x'/],
      ['a lone high surrogate', rawFile(`{"\\ud800":${entry('[1]', '[0,4]')}}`, f32(1)), /a lone surrogate \\ud800/],
      ['a lone low surrogate', rawFile(`{"\\udc00x":${entry('[1]', '[0,4]')}}`, f32(1)), /a lone surrogate \\udc00/],
      ['a short \\u escape', rawFile(`{"\\u12":${entry('[1]', '[0,4]')}}`, f32(1)), /expected four hexadecimal digits after \\u/],
      [
        'invalid UTF-8 in a name',
        rawFile(new Uint8Array([...new TextEncoder().encode('{"'), 0xff, ...new TextEncoder().encode(`":${entry('[1]', '[0,4]')}}`)]), f32(1)),
        /not valid UTF-8/,
      ],
      [
        'an overlong UTF-8 sequence',
        rawFile(new Uint8Array([...new TextEncoder().encode('{"'), 0xc0, 0xaf, ...new TextEncoder().encode(`":${entry('[1]', '[0,4]')}}`)]), f32(1)),
        /not valid UTF-8/,
      ],
      [
        'a UTF-8 surrogate',
        rawFile(new Uint8Array([...new TextEncoder().encode('{"a\\n'), 0xed, 0xa0, 0x80, ...new TextEncoder().encode('":{}}')])),
        /not valid UTF-8/,
      ],
      ['a header length past the end', rawFile(one(), f32(1), { length: 1n << 20n }), /header length at offset 0 says 1048576 bytes, but only \d+ follow/],
      [
        'a header length past the cap',
        rawFile(one(), f32(1), { length: (1n << 64n) - 1n }),
        /says 18446744073709551615 bytes, more than the 100000000 allowed/,
      ],
      ['an empty header', rawFile(''), /does not start with '\{'/],
      [
        'a claimed size no file holds',
        rawFile(`{"a":${entry('[67108864,67108864,67108864]', '[0,4]')}}`, f32(1)),
        /tensor "a" has shape \[67108864, 67108864, 67108864\]: .* more than any file can hold/,
      ],
      [
        'a huge end offset',
        rawFile(`{"a":${entry('[1]', '[9007199254740990,9007199254740994]')}}`, f32(1)),
        /has data_offsets \[9007199254740990,9007199254740994\]/,
      ],
    ];
    for (const [what, bytes, msg] of cases) expectRefused(what, () => decodeSafetensors(bytes), msg);
  });

  it('takes only plain non-negative integers in shapes and offsets (as the reference does)', () => {
    for (const bad of ['1.0', '1e0', '1E0', '-0', '-1', '01', '0x1', '9007199254740992', '1e400', '"1"', 'null', 'true', '[1]', '1 2']) {
      expectRefused(
        `shape [${bad}]`,
        () => decodeSafetensors(rawFile(`{"a":${entry(`[${bad}]`, '[0,4]')}}`, f32(1))),
        /tensor "a" has shape .* \(a list of at most \d+ non-negative integers expected\)/,
      );
      expectRefused(`data_offsets [0, ${bad}]`, () => decodeSafetensors(rawFile(`{"a":${entry('[1]', `[0,${bad}]`)}}`, f32(1))), /tensor "a" has data_offsets/);
    }
    // Whitespace anywhere JSON allows it is fine.
    const spaced = decodeSafetensors(rawFile(`{ "a" :\t{ "dtype" : "F32" ,\n"shape" : [ 1 ] ,\r"data_offsets" : [ 0 , 4 ] } }`, f32(1)));
    expect(spaced.tensors.get('a')!.shape).toEqual([1]);
  });

  it('looks dtypes up as own keys: names on Object.prototype are not dtypes', () => {
    for (const dtype of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'f32', 'F32 ', '']) {
      expectRefused(
        dtype,
        () => decodeSafetensors(rawFile(`{"a":${entry('[1]', '[0,4]', JSON.stringify(dtype))}}`, f32(1))),
        new RegExp(`tensor "a" has dtype ${JSON.stringify(dtype).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, not one the format defines`),
      );
    }
    expectRefused('F16', () => decodeSafetensors(rawFile(`{"a":${entry('[2]', '[0,4]', '"F16"')}}`, f32(1))), /tensor "a" is F16; only F32/);
    expectRefused('a number', () => decodeSafetensors(rawFile(`{"a":${entry('[1]', '[0,4]', '32')}}`, f32(1))), /tensor "a" has dtype 32/);
  });

  it('keeps __proto__ and constructor as ordinary names and metadata keys (never dropped, never a prototype)', () => {
    const data = new Float32Array([1, 2]);
    const bytes = encodeSafetensors(
      [
        { name: '__proto__', shape: [1], data: data.subarray(0, 1) },
        { name: 'constructor', shape: [1], data: data.subarray(1) },
      ],
      JSON.parse('{"__proto__":"p","constructor":"c","toString":"t"}') as Record<string, string>,
    );
    const got = decodeSafetensors(bytes);
    expect([...got.tensors.keys()]).toEqual(['__proto__', 'constructor']);
    expect(Object.keys(got.metadata)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getPrototypeOf(got.metadata)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(got.metadata, '__proto__')?.value).toBe('p');
    // Through encode again: the same file.
    expect(encodeSafetensors([...got.tensors.values()], got.metadata)).toEqual(bytes);
  });

  it('decodes names and metadata exactly as JSON.parse does, escaped or not (property)', () => {
    const text = fc.string({ unit: 'binary', maxLength: 12 });
    fc.assert(
      fc.property(
        fc.uniqueArray(
          text.filter((s) => s !== '__metadata__'),
          { maxLength: 5 },
        ),
        fc.dictionary(text, text, { maxKeys: 4 }),
        fc.boolean(),
        (names, metadata, asciiOnly) => {
          // Python's json.dumps escapes everything outside ASCII (ensure_ascii); serde_json escapes nothing.
          const q = (s: string) =>
            asciiOnly ? JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : JSON.stringify(s);
          const meta = Object.entries(metadata);
          const members = [
            ...(meta.length > 0 ? [`${q('__metadata__')}:{${meta.map(([k, v]) => `${q(k)}:${q(v)}`).join(',')}}`] : []),
            ...names.map((n, i) => `${q(n)}:${entry('[1]', `[${4 * i},${4 * i + 4}]`)}`),
          ];
          const header = `{${members.join(',')}}`;
          const got = decodeSafetensors(rawFile(header, f32(names.length)));
          const want = JSON.parse(header) as Record<string, unknown>;
          expect([...got.tensors.keys()].sort()).toEqual(
            Object.keys(want)
              .filter((k) => k !== '__metadata__')
              .sort(),
          );
          expect({ ...got.metadata }).toEqual(meta.length > 0 ? { ...(want.__metadata__ as object) } : {});
        },
      ),
      runs(300),
    );
  });

  it('refuses nesting anywhere at its first bracket, and never quotes more than an excerpt', () => {
    const deep = (open: string, close: string, n: number) => open.repeat(n) + close.repeat(n);
    const arrays = deep('[', ']', 200_000);
    const objects = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const long = 'x'.repeat(1_000_000);
    const cases: [string, string, RegExp][] = [
      ['shape', `{"a":${entry(arrays, '[0,4]')}}`, /tensor "a" has shape \[\[\[\[/],
      ['data_offsets', `{"a":${entry('[1]', arrays)}}`, /tensor "a" has data_offsets \[\[\[\[/],
      ['dtype', `{"a":${entry('[1]', '[0,4]', objects)}}`, /tensor "a" has dtype \{\\"a\\":\{\\"a\\"/],
      ['an entry', `{"a":${arrays}}`, /the entry of tensor "a" is not an object \(it is an array/],
      ['metadata', `{"__metadata__":${arrays}}`, /"__metadata__" is not an object of strings \(it is an array: \[\[\[/],
      ['metadata of objects', `{"__metadata__":${objects}}`, /"__metadata__"."a" is an object, not a string/],
      ['a metadata value', `{"__metadata__":{"k":${arrays}}}`, /"__metadata__"."k" is an array, not a string/],
      ['the header', arrays, /does not start with '\{'/],
      [
        'a long name',
        `{"${long}":${entry('[2]', '[0,4]')}}`,
        /tensor "x{64}"… \(1000000 characters\) has data_offsets \[0, 4\] \(4 bytes\), but F32 shape \[2\] needs 8 bytes/,
      ],
      ['a long dtype', `{"a":${entry('[1]', '[0,4]', `"${long}"`)}}`, /tensor "a" has dtype "x{64}"… \(1000000 characters\), not one the format defines/],
    ];
    for (const [what, header, msg] of cases) {
      const t0 = performance.now();
      expectRefused(what, () => decodeSafetensors(rawFile(header, f32(1))), msg);
      expect(performance.now() - t0, what).toBeLessThan(1000);
    }
  });

  it('keeps what it holds bounded: tensors, rank and metadata entries up to their limits, and no more', () => {
    const tensors = (n: number) => `{${Array.from({ length: n }, (_, i) => `"t${i}":${entry('[0]', '[0,0]')}`).join(',')}}`;
    expect(decodeSafetensors(rawFile(tensors(MAX_TENSORS))).tensors.size).toBe(MAX_TENSORS);
    expectRefused('too many tensors', () => decodeSafetensors(rawFile(tensors(MAX_TENSORS + 1))), new RegExp(`more than ${MAX_TENSORS} tensors`));
    const rank = (r: number) => rawFile(`{"a":${entry(`[${Array(r).fill(1).join(',')}]`, '[0,4]')}}`, f32(1));
    expect(decodeSafetensors(rank(MAX_RANK)).tensors.get('a')!.shape).toHaveLength(MAX_RANK);
    expectRefused('too high a rank', () => decodeSafetensors(rank(MAX_RANK + 1)), new RegExp(`a list of at most ${MAX_RANK} non-negative integers`));
    const meta = (n: number) => rawFile(`{"__metadata__":{${Array.from({ length: n }, (_, i) => `"k${i}":""`).join(',')}}}`);
    expect(Object.keys(decodeSafetensors(meta(MAX_METADATA_ENTRIES)).metadata)).toHaveLength(MAX_METADATA_ENTRIES);
    expectRefused(
      'too many metadata entries',
      () => decodeSafetensors(meta(MAX_METADATA_ENTRIES + 1)),
      new RegExp(`more than ${MAX_METADATA_ENTRIES} entries`),
    );
  });

  it('refuses NaN and ±Infinity unless asked, naming the tensor and the first index; with allowNonFinite, keeps them bit for bit', () => {
    const w = new Float32Array([1, 2, 3, 4, 5, 6]);
    const bad = new Float32Array(new Uint32Array([0x3f800000, 0x7fc00123, 0xff800000, 0x7f800000]).buffer); // 1, a NaN payload, -Inf, +Inf
    const bytes = encodeSafetensors([
      { name: 'w', shape: [2, 3], data: w },
      { name: 'bad', shape: [2, 2], data: bad },
    ]);
    expectRefused(
      'NaN',
      () => decodeSafetensors(bytes),
      /tensor "bad" has NaN at index 1 \(element \[0, 1\], file offset \d+\); pass \{ allowNonFinite: true \}/,
    );
    const inf = encodeSafetensors([{ name: 'v', shape: [3], data: new Float32Array([0, Number.NEGATIVE_INFINITY, 1]) }]);
    expectRefused('-Infinity', () => decodeSafetensors(inf), /tensor "v" has -Infinity at index 1 \(element \[1\]/);
    const got = decodeSafetensors(bytes, { allowNonFinite: true });
    expect(Array.from(new Uint32Array(got.tensors.get('bad')!.data.slice().buffer))).toEqual([0x3f800000, 0x7fc00123, 0xff800000, 0x7f800000]);
    expect(() => decodeSafetensors(bytes, { allowNonFinite: 'yes' as unknown as boolean })).toThrow(/allowNonFinite must be a boolean/);
  });
});

/** The CRC-32 a checkpoint records: of the tensors' bytes in name order. */
function dataCrc(tensors: readonly NamedTensor[]): string {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const crc = sorted.reduce((c, t) => crc32(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), c), 0);
  return crc.toString(16).padStart(8, '0');
}

describe('hostile checkpoints against a trained model', () => {
  const rt = useRuntime();

  it('a generator of malformed files: each refused with a CheckpointError within budget, the model and optimizer bit-identical', async () => {
    const target = makeModel(rt(), 21);
    const opt = new Adam(target.arena, { lr: 0.01 });
    trainSteps(rt(), target, opt, 0, 3);
    const before = await fullState(target, opt);
    // The files are damaged copies of a good checkpoint of another state: one that loaded would show.
    const other = makeModel(rt(), 22);
    const otherOpt = new Adam(other.arena, { lr: 0.02 });
    trainSteps(rt(), other, otherOpt, 0, 5);
    const good = await saveCheckpoint(other, otherOpt);
    const { tensors, metadata } = decodeSafetensors(good);
    const list = [...tensors.values()];
    const n = list.length;
    const data = good.subarray(8 + Number(new DataView(good.buffer, good.byteOffset).getBigUint64(0, true)));
    const headerText = new TextDecoder().decode(good.subarray(8, good.length - data.length));
    const metaEnd = 8 + headerText.indexOf('},"') + 1;
    const jsonEnd = 8 + headerText.trimEnd().length;
    const offsets: (readonly [number, number])[] = [];
    for (const t of list) {
      const at = offsets.length > 0 ? offsets[offsets.length - 1][1] : 0;
      offsets.push([at, at + t.data.byteLength]);
    }

    /** The good header as members, each [key, value text], and a file from members (raw text allowed). */
    type Member = [string, string];
    const metaText = (m: Readonly<Record<string, unknown>>) =>
      `{${Object.entries(m)
        .map(([k, v]) => `${JSON.stringify(k)}:${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
        .join(',')}}`;
    const members = (): Member[] => [
      ['__metadata__', metaText(metadata)],
      ...list.map((t, i): Member => [t.name, entry(`[${t.shape.join(',')}]`, `[${offsets[i][0]},${offsets[i][1]}]`)]),
    ];
    const file = (ms: Member[], body = data, opts?: { prefix?: number[]; suffix?: string }) => {
      const text = `{${ms.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}${opts?.suffix ?? ''}`;
      const header = new Uint8Array([...(opts?.prefix ?? []), ...new TextEncoder().encode(text)]);
      return rawFile(header, body);
    };
    /** Member `i` (1..n: a tensor) with its field `field` replaced by `value`. */
    const withField = (i: number, field: string, value: string): Member[] => {
      const ms = members();
      const t = list[i - 1];
      const f: Record<string, string> = { dtype: '"F32"', shape: `[${t.shape.join(',')}]`, data_offsets: `[${offsets[i - 1][0]},${offsets[i - 1][1]}]` };
      f[field] = value;
      ms[i] = [
        t.name,
        `{${Object.entries(f)
          .map(([k, v]) => `${JSON.stringify(k)}:${v}`)
          .join(',')}}`,
      ];
      return ms;
    };
    const tensorIndex = fc.integer({ min: 1, max: n });
    const nested = fc
      .tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('[', '{"a":'))
      .map(([d, open]) => (open === '[' ? `${'['.repeat(d)}${']'.repeat(d)}` : `${open.repeat(d)}1${'}'.repeat(d)}`));
    const jsonValue = fc.oneof(
      fc.constantFrom('null', 'true', '-1', '1.5', '1e3', '-0', '9007199254740993', '1e400', '"F32"', '[]', '{}', '[[0]]', '["0","4"]', '[0,4,8]', '[-4,0]'),
      fc.string({ maxLength: 8 }).map((s) => JSON.stringify(s)),
      nested,
    );
    /** Metadata values that are not plain decimal integers (or not numbers at all). */
    const badInteger = fc.constantFrom('0x10', '1e3', '-0.5', '1.0', ' 5', '5 ', '+5', '05', '', 'NaN', 'Infinity', '١', '５', '9007199254740993', '5\n');
    const withMeta = (key: string, value: string | null): Member[] => {
      const m: Record<string, string> = { ...metadata };
      if (value === null) delete m[key];
      else m[key] = value;
      const ms = members();
      ms[0] = ['__metadata__', metaText(m)];
      return ms;
    };
    /** The data with element `k` of tensor `t` set to the f32 bit pattern `bits`. */
    const poisoned = (t: number, k: number, bits: number) => {
      const body = data.slice();
      const i = offsets[t - 1][0] / 4 + (k % list[t - 1].data.length);
      new DataView(body.buffer).setUint32(4 * i, bits, true);
      const tensorsAfter = list.map((x, j) => ({ ...x, data: new Float32Array(body.buffer.slice(offsets[j][0], offsets[j][1])) }));
      return { body, crc: dataCrc(tensorsAfter) };
    };
    const nonFinite = fc.oneof(
      fc.constantFrom(0x7f800000, 0xff800000, 0x7fc00000),
      fc.integer({ min: 0x7f800001, max: 0x7fffffff }),
      fc.integer({ min: 0xff800001, max: 0xffffffff }),
    );

    const malformed: fc.Arbitrary<[string, Uint8Array]> = fc.oneof(
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((len): [string, Uint8Array] => {
        const b = good.slice();
        new DataView(b.buffer).setBigUint64(0, len === BigInt(good.length - 8 - data.length) ? len + 8n : len, true);
        return [`header length ${len}`, b];
      }),
      fc.integer({ min: 0, max: good.length - 1 }).map((cut): [string, Uint8Array] => [`truncated at ${cut}`, good.slice(0, cut)]),
      // A byte changed in the length, in the tensors' entries or in the data (not in the metadata,
      // where any key or string is allowed, nor in the padding, where a space may become a tab).
      fc.tuple(fc.integer({ min: 0, max: 7 + (jsonEnd - metaEnd) + data.length }), fc.integer({ min: 1, max: 255 })).map(([k, x]): [string, Uint8Array] => {
        const at = k < 8 ? k : k < 8 + jsonEnd - metaEnd ? metaEnd + (k - 8) : good.length - data.length + (k - 8 - (jsonEnd - metaEnd));
        const b = good.slice();
        b[at] ^= x;
        return [`byte ${at} ^ ${x}`, b];
      }),
      fc
        .tuple(tensorIndex, fc.constantFrom('dtype', 'shape', 'data_offsets'), nested)
        .map(([i, f, v]): [string, Uint8Array] => [`nested ${f}`, file(withField(i, f, v))]),
      fc
        .tuple(tensorIndex, fc.constantFrom('dtype', 'shape', 'data_offsets'), jsonValue)
        .filter(([, f, v]) => !(f === 'dtype' && v === '"F32"'))
        .map(([i, f, v]): [string, Uint8Array] => [`${f} ${v.slice(0, 20)}`, file(withField(i, f, v))]),
      fc
        .tuple(tensorIndex, fc.constantFrom('__proto__', 'constructor', 'toString', 'F16', 'BF16', 'F64', 'I32', 'f32', 'F32 ', ''))
        .map(([i, d]): [string, Uint8Array] => [`dtype ${d}`, file(withField(i, 'dtype', JSON.stringify(d)))]),
      fc
        .tuple(tensorIndex, fc.array(fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constant(2 ** 40)), { minLength: 0, maxLength: 4 }))
        .filter(([i, s]) => s.join(',') !== list[i - 1].shape.join(','))
        .map(([i, s]): [string, Uint8Array] => [`shape [${s}]`, file(withField(i, 'shape', `[${s}]`))]),
      fc
        .tuple(tensorIndex, fc.nat({ max: 4 * data.length }), fc.nat({ max: 4 * data.length }))
        .filter(([i, a, b]) => a !== offsets[i - 1][0] || b !== offsets[i - 1][1])
        .map(([i, a, b]): [string, Uint8Array] => [`data_offsets [${a}, ${b}]`, file(withField(i, 'data_offsets', `[${a},${b}]`))]),
      fc.tuple(tensorIndex, tensorIndex).map(([i, j]): [string, Uint8Array] => {
        // A second entry under tensor i's name, with tensor j's shape: a duplicate key.
        const ms = members();
        ms.splice(j, 0, [list[i - 1].name, ms[j][1]]);
        return [`duplicate ${list[i - 1].name}`, file(ms)];
      }),
      fc.tuple(tensorIndex, fc.constantFrom('dtype', 'shape', 'data_offsets', 'extra')).map(([i, f]): [string, Uint8Array] => {
        const ms = members();
        ms[i] = [ms[i][0], `${ms[i][1].slice(0, -1)},${JSON.stringify(f)}:${f === 'dtype' ? '"F32"' : '[0]'}}`];
        return [`field ${f} again`, file(ms)];
      }),
      fc
        .constantFrom('step', 'format_version', 'model_seed')
        .chain((key) => badInteger.map((v): [string, Uint8Array] => [`${key} ${JSON.stringify(v)}`, file(withMeta(key, v))])),
      fc
        .constantFrom('data_crc32', 'format')
        .chain((key) =>
          fc
            .string({ maxLength: 10 })
            .map((v): [string, Uint8Array] => [`${key} ${JSON.stringify(v)}`, file(withMeta(key, key === 'format' ? `x${v}` : `${v}z`))]),
        ),
      fc.constantFrom('step', 'format').map((key): [string, Uint8Array] => {
        const ms = members();
        ms[0] = ['__metadata__', `${ms[0][1].slice(0, -1)},${JSON.stringify(key)}:"1"}`];
        return [`metadata ${key} twice`, file(ms)];
      }),
      fc.constantFrom(1, 2, 3).map((k): [string, Uint8Array] => {
        const prefix = k === 1 ? [0xef, 0xbb, 0xbf] : k === 2 ? [0x20] : [0xfe, 0xff];
        return [`prefix ${prefix}`, file(members(), data, { prefix })];
      }),
      fc
        .constantFrom(' x', '\u0000', '}', ',{}')
        .map((suffix): [string, Uint8Array] => [`suffix ${JSON.stringify(suffix)}`, file(members(), data, { suffix })]),
      fc.tuple(tensorIndex, fc.nat(), nonFinite, fc.boolean()).map(([t, k, bits, keepCrc]): [string, Uint8Array] => {
        const { body, crc } = poisoned(t, k, bits);
        return [
          `0x${bits.toString(16)} in ${list[t - 1].name} (${keepCrc ? 'valid CRC' : 'no CRC'})`,
          file(keepCrc ? withMeta('data_crc32', crc) : withMeta('data_crc32', null), body),
        ];
      }),
      fc.tuple(tensorIndex, fc.constantFrom(0xff, 0xc0, 0xed)).map(([i, byte]): [string, Uint8Array] => {
        const ms = members();
        const text = `{${ms.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
        const bytes = new TextEncoder().encode(text);
        const at = text.indexOf(JSON.stringify(list[i - 1].name)) + 1;
        bytes[at] = byte;
        return [`byte 0x${byte.toString(16)} in a name`, rawFile(bytes, data)];
      }),
    );

    let checked = 0;
    fc.assert(
      fc.property(malformed, ([what, bytes]) => {
        const t0 = performance.now();
        const e = thrown(() => loadCheckpoint(bytes, target, opt));
        const ms = performance.now() - t0;
        expect(e, what).toBeInstanceOf(CheckpointError);
        expect((e as Error).message.length, what).toBeLessThan(600);
        expect(ms, what).toBeLessThan(1000);
        checked++;
      }),
      runs(400),
    );
    expect(checked).toBeGreaterThanOrEqual(400);
    expect(await fullState(target, opt)).toEqual(before);

    // The good file itself loads (the refusals were not vacuous), and so does a poisoned one when asked.
    loadCheckpoint(good, target, opt);
    expect(await fullState(target, opt)).toEqual(await fullState(other, otherOpt));
    const { body, crc } = poisoned(1, 3, 0x7fc00000);
    const nan = file(withMeta('data_crc32', crc), body);
    expectRefused('NaN, valid CRC', () => loadCheckpoint(nan, target, opt), new RegExp(`tensor "${list[0].name}" has NaN at index 3 \\(element \\[0, 3\\]`));
    loadCheckpoint(nan, target, opt, { allowNonFinite: true });
    const loaded = (await target.exportState()).params[list[0].name];
    expect(Number.isNaN(loaded[3])).toBe(true);
    for (const x of [opt, otherOpt]) x.dispose();
    for (const m of [target, other]) m.dispose();
  });

  it('metadata numbers are plain decimal integers: step, format_version and model_seed refused otherwise, and nothing changes', async () => {
    const model = makeModel(rt(), 23);
    const opt = new Adam(model.arena, { lr: 0.01 });
    trainSteps(rt(), model, opt, 0, 2);
    const bytes = await saveCheckpoint(model, opt);
    const { tensors, metadata } = decodeSafetensors(bytes);
    trainSteps(rt(), model, opt, 2, 3);
    const before = await fullState(model, opt);
    const withMeta = (m: Record<string, string>) => encodeSafetensors([...tensors.values()], { ...metadata, ...m });
    const cases: [Record<string, string>, RegExp][] = [
      ...['0x10', '1e3', '-0.5', '1.0', ' 5', '+5', '05', '', '-1', '９', '9007199254740993'].map((v): [Record<string, string>, RegExp] => [
        { step: v },
        /metadata "step" is .* \(an integer ≥ 0 in plain decimal digits expected\)/,
      ]),
      ...['0x1', '1e0', '0', '-1', '1.0', '01'].map((v): [Record<string, string>, RegExp] => [
        { format_version: v },
        /metadata "format_version" is .* \(an integer ≥ 1/,
      ]),
      ...['0x10', '1e3', '-0.5', '-0', '+1', ''].map((v): [Record<string, string>, RegExp] => [
        { model_seed: v },
        /metadata "model_seed" is .* \(an integer in plain decimal digits expected\)/,
      ]),
      [{ data_crc32: 'xyz' }, /metadata "data_crc32" is "xyz" \(8 hexadecimal digits expected\)/],
      [{ data_crc32: '0x12345678' }, /metadata "data_crc32" is "0x12345678"/],
      [{ format: 'x'.repeat(10_000) }, /the file's format is "x{64}"… \(10000 characters\)/],
    ];
    for (const [m, msg] of cases) expectRefused(JSON.stringify(m).slice(0, 60), () => loadCheckpoint(withMeta(m), model, opt), msg);
    expect(await fullState(model, opt)).toEqual(before);
    // Negative seeds are integers too; a valid file still loads.
    expect(loadCheckpoint(withMeta({ model_seed: '-7' }), model, opt).modelSeed).toBe(-7);
    opt.dispose();
    model.dispose();
  });

  it('a __proto__ metadata key survives a load and the next save', async () => {
    const model = makeModel(rt(), 24);
    const bytes = await saveCheckpoint(model, undefined, { metadata: JSON.parse('{"__proto__":"kept"}') as Record<string, string> });
    const info = loadCheckpoint(bytes, model);
    expect(Object.getOwnPropertyDescriptor(info.metadata, '__proto__')?.value).toBe('kept');
    expect(Object.getPrototypeOf(info.metadata)).toBe(Object.prototype);
    // The caller's own keys, passed back to the next save (the checkpoint writes the others itself).
    const own = Object.fromEntries(Object.entries(info.metadata).filter(([k]) => !['format', 'format_version', 'model_seed', 'data_crc32'].includes(k)));
    const again = decodeSafetensors(await saveCheckpoint(model, undefined, { metadata: own }));
    expect(Object.getOwnPropertyDescriptor(again.metadata, '__proto__')?.value).toBe('kept');
    model.dispose();
  });
});
