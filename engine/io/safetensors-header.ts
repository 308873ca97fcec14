/**
 * The safetensors header's reader and the format's limits (./safetensors.ts has the file layout and
 * why the header never goes to `JSON.parse`): a single pass over the header's bytes that accepts
 * exactly the format's schema, with every table it keeps bounded.
 */
import { EngineError, quoteString } from '../runtime/errors';

/** A checkpoint or safetensors file that cannot be read, or that does not fit what it is loaded into. */
export class CheckpointError extends EngineError {
  constructor(message: string) {
    super('BAD_CHECKPOINT', message);
  }
}

/** The largest header the reader accepts (the reference implementation's limit): 100 MB. */
export const MAX_HEADER_BYTES = 100_000_000;

/** The most tensors a file may have (a large language model's shard has a few thousand). */
export const MAX_TENSORS = 100_000;

/** The most `__metadata__` entries a file may have. */
export const MAX_METADATA_ENTRIES = 100_000;

/** The highest rank of a tensor's shape (NumPy 1.x's limit). */
export const MAX_RANK = 32;

/** Bytes per element of the dtypes the format names (the reference's list; looked up as own keys of a Map). */
const DTYPE_BITS: ReadonlyMap<string, number> = new Map([
  ['BOOL', 8],
  ['F4', 4],
  ['F6_E2M3', 6],
  ['F6_E3M2', 6],
  ['U8', 8],
  ['I8', 8],
  ['F8_E5M2', 8],
  ['F8_E4M3', 8],
  ['F8_E8M0', 8],
  ['F8_E4M3FNUZ', 8],
  ['F8_E5M2FNUZ', 8],
  ['I16', 16],
  ['U16', 16],
  ['F16', 16],
  ['BF16', 16],
  ['I32', 32],
  ['U32', 32],
  ['F32', 32],
  ['C64', 64],
  ['F64', 64],
  ['I64', 64],
  ['U64', 64],
]);

/** Elements of a shape (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

// Bytes of the JSON grammar.
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const LBRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;

/** What a JSON escape `\x` stands for, by the byte x (besides `\u`); -1 for no escape. */
const ESCAPES = new Int16Array(256).fill(-1);
for (const [x, c] of [
  ['"', '"'],
  ['\\', '\\'],
  ['/', '/'],
  ['b', '\b'],
  ['f', '\f'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
])
  ESCAPES[x.charCodeAt(0)] = c.charCodeAt(0);

/** Field names and the dtype as bytes, for {@link HeaderReader.literal}. */
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const DTYPE = ascii('dtype');
const SHAPE = ascii('shape');
const DATA_OFFSETS = ascii('data_offsets');
const F32 = ascii('F32');

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** A control character, which a JSON string must escape. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point (JSON strings may not hold them raw)
const CONTROL = /[\u0000-\u001f]/;
const lenient = new TextDecoder('utf-8', { ignoreBOM: true });

/** A tensor's entry, as read. */
export interface Entry {
  name: string;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Reads the header's bytes `[start, end)` of `b` as exactly the format's schema, refusing everything
 * else where it first appears. Offsets in messages are the file's. One pass over the bytes; the hot
 * paths (whitespace, plain strings, field names, integers) allocate nothing.
 */
export class HeaderReader {
  pos: number;
  /** `b`'s bytes as 32-bit words from its first 4-aligned byte `wordBase` on: long runs of spaces are skipped a word at a time. */
  private readonly words: Uint32Array;
  private readonly wordBase: number;
  /** Scratch list of the integers of a shape or offsets. */
  private readonly ints: number[] = new Array<number>(MAX_RANK).fill(0);

  constructor(
    private readonly b: Uint8Array,
    private readonly start: number,
    private readonly end: number,
  ) {
    this.pos = start;
    const lead = (4 - (b.byteOffset & 3)) & 3;
    this.wordBase = Math.min(lead, b.byteLength);
    this.words = new Uint32Array(b.buffer, b.byteOffset + this.wordBase, (b.byteLength - this.wordBase) >> 2);
  }

  fail(msg: string): never {
    throw new CheckpointError(`safetensors: ${msg}`);
  }

  /** "the header (bytes 8 to N)" */
  private get where(): string {
    return `the header (bytes ${this.start} to ${this.end})`;
  }

  /** Refuses the byte at `at` as not what the JSON grammar allows there (or as invalid UTF-8). */
  syntax(expected: string, at = this.pos): never {
    const b = this.b;
    if (at >= this.end) return this.fail(`${this.where} is not valid JSON: expected ${expected} at byte ${at}, found its end`);
    const c = b[at];
    let found: string;
    if (c >= 0x80) {
      const len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
      let ch = '';
      try {
        if (len > 0 && at + len <= this.end) ch = utf8.decode(b.subarray(at, at + len));
      } catch {
        /* not UTF-8 */
      }
      if (ch === '') this.fail(`${this.where} is not valid UTF-8 (at byte ${at})`);
      found = ch === '\ufeff' ? 'a byte-order mark' : JSON.stringify(ch);
    } else if (c < 0x20 || c === 0x7f) {
      found = `the control character 0x${c.toString(16).padStart(2, '0')}`;
    } else {
      found = `'${String.fromCharCode(c)}'`;
    }
    return this.fail(`${this.where} is not valid JSON: expected ${expected} at byte ${at}, found ${found}`);
  }

  /** Skips JSON whitespace; returns the next byte, or -1 at the end of the header. */
  ws(): number {
    const b = this.b;
    const end = this.end;
    let p = this.pos;
    while (p < end) {
      const c = b[p];
      if (c === SPACE) {
        if (((p - this.wordBase) & 3) === 0) {
          const words = this.words;
          const wEnd = (end - this.wordBase) >> 2;
          let w = (p - this.wordBase) >> 2;
          while (w < wEnd && words[w] === 0x20202020) w++;
          const q = this.wordBase + 4 * w;
          if (q > p) {
            p = q;
            continue;
          }
        }
        p++;
      } else if (c === LF || c === CR || c === TAB) p++;
      else break;
    }
    this.pos = p;
    return p < end ? b[p] : -1;
  }

  /** Consumes the byte `c` (after whitespace) or refuses. */
  expect(c: number, what: string): void {
    if (this.ws() !== c) this.syntax(what);
    this.pos++;
  }

  /** After a member: skips a `,` (returns true: another member follows) or the closing `}` (returns false). */
  next(): boolean {
    const c = this.ws();
    if (c === COMMA) {
      this.pos++;
      if (this.ws() !== QUOTE) this.syntax('a key (a string)');
      return true;
    }
    if (c === RBRACE) {
      this.pos++;
      return false;
    }
    return this.syntax("',' or '}'");
  }

  /** Up to 40 bytes of the raw text at `from`, escaped, ending at the first `]` or `}` if one is that near. */
  excerpt(from: number): string {
    const b = this.b;
    let to = Math.min(this.end, from + 40);
    let closed = false;
    for (let p = from + 1; p < to; p++) {
      if (b[p] === RBRACKET || b[p] === RBRACE) {
        to = p + 1;
        closed = true;
        break;
      }
    }
    const text = JSON.stringify(lenient.decode(b.subarray(from, to))).slice(1, -1);
    return closed || to >= this.end ? text : `${text}…`;
  }

  /** The kind of JSON value that starts at the current byte (for messages). */
  kind(): string {
    const c = this.b[this.pos];
    if (c === LBRACE) return 'an object';
    if (c === LBRACKET) return 'an array';
    if (c === MINUS || (c >= ZERO && c <= NINE)) return 'a number';
    if (c === 0x74 || c === 0x66) return 'a boolean';
    if (c === 0x6e) return 'null';
    if (c === QUOTE) return 'a string';
    return this.syntax('a value');
  }

  /**
   * If the string at the current byte is exactly `word` as written (no escapes), consumes it and
   * returns true; otherwise consumes nothing. A fast path for field names and the dtype.
   */
  literal(word: Uint8Array): boolean {
    const b = this.b;
    const p = this.pos + 1;
    if (b[this.pos] !== QUOTE || p + word.length >= this.end || b[p + word.length] !== QUOTE) return false;
    for (let i = 0; i < word.length; i++) if (b[p + i] !== word[i]) return false;
    this.pos = p + word.length + 1;
    return true;
  }

  /** The JSON string at the current byte (which must be `"`), decoded. */
  str(): string {
    const b = this.b;
    const end = this.end;
    if (this.pos >= end || b[this.pos] !== QUOTE) this.syntax('a string');
    const first = this.pos + 1;
    let p = first;
    let c = -1;
    // Short strings byte by byte; past 64 bytes, the closing quote and a backslash are searched natively.
    const stop = Math.min(end, first + 64);
    while (p < stop) {
      c = b[p];
      if (c === QUOTE || c === BACKSLASH || c < 0x20) break;
      p++;
    }
    if (p === stop && p < end) {
      const quote = b.subarray(p, end).indexOf(QUOTE);
      if (quote < 0) this.syntax("the string's closing '\"'", end);
      const backslash = b.subarray(p, p + quote).indexOf(BACKSLASH);
      if (backslash < 0) {
        const text = this.plain(first, p + quote);
        if (CONTROL.test(text)) {
          let at = first;
          while (b[at] >= 0x20) at++;
          this.syntax('a character of a string (control characters must be escaped)', at);
        }
        this.pos = p + quote + 1;
        return text;
      }
      p += backslash;
      c = BACKSLASH;
    }
    if (p >= end) this.syntax("the string's closing '\"'", p);
    if (c < 0x20) this.syntax('a character of a string (control characters must be escaped)', p);
    if (c === QUOTE) {
      this.pos = p + 1;
      return this.plain(first, p);
    }
    // Escapes: find the real end (an escaped quote does not end the string).
    while (p < end) {
      c = b[p];
      if (c === QUOTE) break;
      if (c === BACKSLASH) p += 2;
      else if (c < 0x20) this.syntax('a character of a string (control characters must be escaped)', p);
      else p++;
    }
    if (p >= end) this.syntax("the string's closing '\"'", end);
    this.pos = p + 1;
    return this.unescape(first, p);
  }

  /** The UTF-8 bytes [a, z) (no escapes) as a string. */
  private plain(a: number, z: number): string {
    const b = this.b;
    if (z - a <= 24) {
      let s = '';
      for (let i = a; i < z; i++) {
        if (b[i] >= 0x80) return this.utf8(a, z);
        s += String.fromCharCode(b[i]);
      }
      return s;
    }
    return this.utf8(a, z);
  }

  private utf8(a: number, z: number): string {
    try {
      return utf8.decode(this.b.subarray(a, z));
    } catch {
      return this.fail(`${this.where} is not valid UTF-8 (in the string at byte ${a - 1})`);
    }
  }

  /**
   * The string [a, z) with its escapes resolved: the bytes are copied with each escape replaced by
   * its UTF-8 encoding (never longer than the escape), then decoded at once.
   */
  private unescape(a: number, z: number): string {
    const b = this.b;
    const out = new Uint8Array(z - a);
    let k = 0;
    let p = a;
    while (p < z) {
      const c = b[p];
      if (c !== BACKSLASH) {
        out[k++] = c;
        p++;
        continue;
      }
      const e = b[p + 1];
      if (e !== 0x75) {
        const ch = ESCAPES[e];
        if (ch < 0) this.syntax('an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX)', p + 1);
        out[k++] = ch;
        p += 2;
        continue;
      }
      let u = this.hex4(p + 2, z);
      let len = 6;
      if (u >= 0xdc00 && u <= 0xdfff) this.fail(`${this.where} is not valid JSON: a lone surrogate \\u${u.toString(16)} at byte ${p}`);
      if (u >= 0xd800 && u <= 0xdbff) {
        const lo = p + 12 <= z && b[p + 6] === BACKSLASH && b[p + 7] === 0x75 ? this.hex4(p + 8, z) : -1;
        if (!(lo >= 0xdc00 && lo <= 0xdfff)) this.fail(`${this.where} is not valid JSON: a lone surrogate \\u${u.toString(16)} at byte ${p}`);
        u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
        len = 12;
      }
      if (u < 0x80) out[k++] = u;
      else if (u < 0x800) {
        out[k++] = 0xc0 | (u >> 6);
        out[k++] = 0x80 | (u & 0x3f);
      } else if (u < 0x10000) {
        out[k++] = 0xe0 | (u >> 12);
        out[k++] = 0x80 | ((u >> 6) & 0x3f);
        out[k++] = 0x80 | (u & 0x3f);
      } else {
        out[k++] = 0xf0 | (u >> 18);
        out[k++] = 0x80 | ((u >> 12) & 0x3f);
        out[k++] = 0x80 | ((u >> 6) & 0x3f);
        out[k++] = 0x80 | (u & 0x3f);
      }
      p += len;
    }
    try {
      return utf8.decode(out.subarray(0, k));
    } catch {
      return this.fail(`${this.where} is not valid UTF-8 (in the string at byte ${a - 1})`);
    }
  }

  /** The four hexadecimal digits at `at` (before `z`) as a number. */
  private hex4(at: number, z: number): number {
    if (at + 4 > z) this.syntax('four hexadecimal digits after \\u', Math.min(at, z));
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.b[at + i];
      const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
      if (d < 0) this.syntax('a hexadecimal digit', at + i);
      v = v * 16 + d;
    }
    return v;
  }

  /**
   * A JSON list of at most `max` plain non-negative integers (digits only: no sign, fraction or
   * exponent; at most 2^53 − 1) at the current byte, or null for anything else.
   */
  uints(max: number): number[] | null {
    const b = this.b;
    const end = this.end;
    let p = this.pos;
    if (b[p] !== LBRACKET) return null;
    p++;
    const ints = this.ints;
    let n = 0;
    let c = p < end ? b[p] : -1;
    while (c === SPACE || c === LF || c === CR || c === TAB) c = ++p < end ? b[p] : -1;
    if (c === RBRACKET) {
      this.pos = p + 1;
      return [];
    }
    for (;;) {
      if (n === max) return null;
      const first = p;
      let v = 0;
      while (c >= ZERO && c <= NINE) {
        v = v * 10 + (c - ZERO);
        if (++p - first > 16) return null;
        c = p < end ? b[p] : -1;
      }
      if (p === first || (p - first > 1 && b[first] === ZERO) || v > Number.MAX_SAFE_INTEGER) return null;
      ints[n++] = v;
      while (c === SPACE || c === LF || c === CR || c === TAB) c = ++p < end ? b[p] : -1;
      p++;
      if (c === RBRACKET) {
        this.pos = p;
        return ints.slice(0, n);
      }
      if (c !== COMMA) return null; // also a sign, a fraction or an exponent: '-', '.', 'e', 'E'
      c = p < end ? b[p] : -1;
      while (c === SPACE || c === LF || c === CR || c === TAB) c = ++p < end ? b[p] : -1;
    }
  }

  /** The entry of tensor `name` (the current byte starts its value). */
  entry(name: string): Entry {
    const q = (): string => quoteString(name);
    const at = this.pos;
    if (this.b[at] !== LBRACE) this.fail(`the entry of tensor ${q()} is not an object (it is ${this.kind()}: ${this.excerpt(at)} at byte ${at})`);
    this.pos++;
    let dtype: string | undefined;
    let shape: number[] | undefined;
    let offsets: number[] | undefined;
    if (this.ws() === RBRACE) this.fail(`the entry of tensor ${q()} is empty (dtype, shape and data_offsets expected)`);
    do {
      const field = this.literal(DTYPE) ? 'dtype' : this.literal(SHAPE) ? 'shape' : this.literal(DATA_OFFSETS) ? 'data_offsets' : this.str();
      this.expect(COLON, "':'");
      const v = this.ws();
      const vAt = this.pos;
      if (v < 0) this.syntax('a value');
      if (field === 'dtype') {
        if (dtype !== undefined) this.fail(`tensor ${q()} has "dtype" twice`);
        if (v !== QUOTE) this.fail(`tensor ${q()} has dtype ${this.excerpt(vAt)}, not one the format defines`);
        dtype = this.literal(F32) ? 'F32' : this.str();
        if (!DTYPE_BITS.has(dtype)) this.fail(`tensor ${q()} has dtype ${quoteString(dtype)}, not one the format defines`);
        if (dtype !== 'F32') this.fail(`tensor ${q()} is ${dtype}; only F32 tensors can be loaded (convert it, e.g. numpy's .astype(np.float32))`);
      } else if (field === 'shape') {
        if (shape !== undefined) this.fail(`tensor ${q()} has "shape" twice`);
        const s = this.uints(MAX_RANK);
        if (!s) this.fail(`tensor ${q()} has shape ${this.excerpt(vAt)} (a list of at most ${MAX_RANK} non-negative integers expected)`);
        shape = s;
      } else if (field === 'data_offsets') {
        if (offsets !== undefined) this.fail(`tensor ${q()} has "data_offsets" twice`);
        const o = this.uints(2);
        if (o?.length !== 2) this.fail(`tensor ${q()} has data_offsets ${this.excerpt(vAt)} (two non-negative integers [begin, end] expected)`);
        offsets = o;
      } else {
        this.fail(`tensor ${q()} has the field ${quoteString(field)}, which the format does not define (dtype, shape, data_offsets)`);
      }
    } while (this.next());
    if (dtype === undefined) this.fail(`tensor ${q()} has no "dtype"`);
    if (shape === undefined) this.fail(`tensor ${q()} has no "shape"`);
    if (offsets === undefined) this.fail(`tensor ${q()} has no "data_offsets"`);
    const [begin, end] = offsets;
    const count = elementCount(shape);
    const want = count * 4;
    if (!Number.isSafeInteger(want)) this.fail(`tensor ${q()} has shape [${shape.join(', ')}]: ${count} elements, more than any file can hold (corrupted?)`);
    if (end < begin || end - begin !== want)
      this.fail(`tensor ${q()} has data_offsets [${begin}, ${end}] (${end - begin} bytes), but F32 shape [${shape.join(', ')}] needs ${want} bytes`);
    return { name, shape, begin, end };
  }

  /** The `__metadata__` object (the current byte starts it) into `into`. */
  metadata(into: Record<string, string>): void {
    const at = this.pos;
    if (this.b[at] !== LBRACE) this.fail(`"__metadata__" is not an object of strings (it is ${this.kind()}: ${this.excerpt(at)} at byte ${at})`);
    this.pos++;
    if (this.ws() === RBRACE) {
      this.pos++;
      return;
    }
    let count = 0;
    do {
      const key = this.str();
      this.expect(COLON, "':'");
      if (this.ws() !== QUOTE) this.fail(`"__metadata__".${quoteString(key)} is ${this.kind()}, not a string`);
      const value = this.str();
      if (Object.hasOwn(into, key)) this.fail(`"__metadata__" has the key ${quoteString(key)} twice (the format forbids duplicate keys)`);
      if (++count > MAX_METADATA_ENTRIES) this.fail(`"__metadata__" has more than ${MAX_METADATA_ENTRIES} entries`);
      // An own property even for "__proto__" (an assignment would set the prototype instead).
      Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
    } while (this.next());
  }

  /** The whole header: its entries (in header order) and metadata. */
  header(): { entries: Entry[]; metadata: Record<string, string> } {
    const b = this.b;
    if (this.end === this.start || b[this.start] !== LBRACE) {
      const bom = this.end - this.start >= 3 && b[this.start] === 0xef && b[this.start + 1] === 0xbb && b[this.start + 2] === 0xbf;
      this.fail(`${this.where} does not start with '{'${bom ? ' (it starts with a UTF-8 byte-order mark, which the format does not allow)' : ''}`);
    }
    this.pos++;
    const metadata: Record<string, string> = {};
    const entries: Entry[] = [];
    const names = new Set<string>();
    let sawMetadata = false;
    const c = this.ws();
    if (c === RBRACE) this.pos++;
    else {
      if (c !== QUOTE) this.syntax("a key (a string) or '}'");
      do {
        const name = this.str();
        this.expect(COLON, "':'");
        if (this.ws() < 0) this.syntax('a value');
        if (name === '__metadata__') {
          if (sawMetadata) this.fail('the header has "__metadata__" twice (the format forbids duplicate keys)');
          sawMetadata = true;
          this.metadata(metadata);
        } else {
          if (names.has(name)) this.fail(`the header has two entries for tensor ${quoteString(name)} (the format forbids duplicate keys)`);
          if (names.size === MAX_TENSORS) this.fail(`the header has more than ${MAX_TENSORS} tensors`);
          names.add(name);
          entries.push(this.entry(name));
        }
      } while (this.next());
    }
    if (this.ws() >= 0) this.syntax("nothing but whitespace after the header's object");
    return { entries, metadata };
  }
}
