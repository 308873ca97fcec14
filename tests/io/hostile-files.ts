/**
 * Hostile safetensors files, built byte by byte (test helper, not a test file): a header as raw
 * text or bytes with any length field, and the worst headers of up to the reader's 100 MB cap that
 * ./budget.test.ts gives to a child process (./hostile-child.ts) to parse under a 1 GB heap.
 */
import { MAX_HEADER_BYTES, MAX_RANK, MAX_TENSORS } from '../../engine/io/safetensors';

const enc = new TextEncoder();

/**
 * A file from a header (text or bytes), padded with spaces to a multiple of 8 unless `pad` is
 * false, and the data bytes. `length` overrides the header length field (default: the header's).
 */
export function rawFile(header: string | Uint8Array, data: Uint8Array = new Uint8Array(0), opts: { pad?: boolean; length?: bigint } = {}): Uint8Array {
  let h = typeof header === 'string' ? enc.encode(header) : header;
  if ((opts.pad ?? true) && h.length % 8 !== 0) {
    const p = new Uint8Array(Math.ceil(h.length / 8) * 8).fill(0x20);
    p.set(h);
    h = p;
  }
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, opts.length ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** Appends ASCII/UTF-8 text to a growing header of fixed capacity. */
class HeaderBuilder {
  readonly bytes: Uint8Array;
  at = 0;
  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
  }
  get room(): number {
    return this.bytes.length - this.at;
  }
  put(text: string | Uint8Array): this {
    const b = typeof text === 'string' ? enc.encode(text) : text;
    this.bytes.set(b, this.at);
    this.at += b.length;
    return this;
  }
  /** Repeats `unit` while at least `keep` bytes stay free. */
  repeat(unit: string, keep: number): this {
    const u = enc.encode(unit);
    while (this.room - u.length >= keep) {
      this.bytes.set(u, this.at);
      this.at += u.length;
    }
    return this;
  }
  /** The file: the header written so far (padded to 8 bytes with spaces) and no data. */
  file(): Uint8Array {
    return rawFile(this.bytes.subarray(0, this.at));
  }
}

/** The largest header the reader takes, less room for the padding to 8 bytes. */
const CAP = MAX_HEADER_BYTES - 8;

/** The worst cases of ./budget.test.ts, by name: what each is, and whether the reader must accept it. */
export const BUDGET_CASES = {
  /**
   * A tensor whose shape is 100 MB of nested arrays, valid JSON: `[[[…]]]`, 50 million deep (what
   * aborted Node inside V8's JSON parser under a 2 GB heap).
   */
  'nested arrays': {
    accept: false,
    build: () => {
      const h = new HeaderBuilder(CAP).put('{"w":{"dtype":"F32","shape":');
      const depth = Math.floor((h.room - 2) / 2);
      h.bytes.fill(0x5b, h.at, h.at + depth);
      h.bytes.fill(0x5d, h.at + depth, h.at + 2 * depth);
      h.at += 2 * depth;
      return h.put('}}').file();
    },
  },
  /** 33 million empty objects as metadata values (the 39 s and +2.7 GB). */
  'empty objects': { accept: false, build: () => new HeaderBuilder(CAP).put('{"__metadata__":{').repeat('"":{},', 16).put('"":{}}}').file() },
  /**
   * 100 MB of metadata text in three values that decode slowest: plain ASCII, two-byte UTF-8
   * (U+0101) and an escape every other byte (`é\n`, `\u0101`).
   */
  'long strings': {
    accept: true,
    build: () => {
      const h = new HeaderBuilder(CAP).put('{"__metadata__":{"ascii":"');
      const third = Math.floor(CAP / 3);
      h.repeat('a', CAP - third).put('","utf8":"');
      h.repeat('\u0101', CAP - 2 * third).put('","escaped":"');
      return h.repeat('é\\n\\u0101', 16).put('"}}').file();
    },
  },
  /** {@link MAX_TENSORS} tensors of rank {@link MAX_RANK} (zero elements each, so no data): the most entries the reader keeps. */
  'most tensors': {
    accept: true,
    build: () => {
      const dims = Array.from({ length: MAX_RANK }, (_, i) => (i === 0 ? 0 : 1)).join(',');
      const h = new HeaderBuilder(CAP).put('{');
      for (let i = 0; i < MAX_TENSORS; i++) h.put(`${i === 0 ? '' : ','}"t${i}":{"dtype":"F32","shape":[${dims}],"data_offsets":[0,0]}`);
      return h.put('}').file();
    },
  },
} as const;

export type BudgetCase = keyof typeof BUDGET_CASES;
