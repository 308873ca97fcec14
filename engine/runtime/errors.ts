/**
 * Typed errors of the engine. Every error says what went wrong and where: the op, the shapes, the
 * value, the shader file and line. Callers can branch on the class (or on `code`).
 */

/** Base class of every error the engine throws. */
export class EngineError extends Error {
  /** A stable machine-readable code, e.g. `SHAPE_MISMATCH`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * A string as a message quotes it: JSON-quoted (control characters escaped) and cut to `max`
 * characters, so that a value from a file or a caller (a tensor name of 90 MB, say) never makes a
 * message long.
 */
export function quoteString(s: string, max = 64): string {
  if (s.length <= max) return JSON.stringify(s);
  return `${JSON.stringify(s.slice(0, max))}… (${s.length} characters)`;
}

/**
 * Any value as a message names it: strings quoted and cut ({@link quoteString}), numbers, booleans,
 * null and undefined as written, anything else by its kind and size. Never stringifies an object or
 * array (nor calls its `toString`), so a deeply nested or self-referencing value cannot overflow the
 * stack or run the caller's code.
 */
export function describeValue(v: unknown, max = 64): string {
  switch (typeof v) {
    case 'string':
      return quoteString(v, max);
    case 'number':
      return Object.is(v, -0) ? '-0' : String(v);
    case 'boolean':
    case 'undefined':
      return String(v);
    case 'bigint': {
      const s = String(v);
      return s.length <= max ? `${s}n` : `a ${s.length}-digit bigint`;
    }
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
  }
  if (v === null) return 'null';
  try {
    if (Array.isArray(v)) return `an array of ${v.length}`;
    if (ArrayBuffer.isView(v)) return `a ${Object.prototype.toString.call(v).slice(8, -1)} of ${(v as { length?: number }).length ?? v.byteLength}`;
    const tag = Object.prototype.toString.call(v).slice(8, -1);
    return tag === 'Object' ? 'an object' : `an object (${tag})`;
  } catch {
    return 'an object'; // a revoked proxy
  }
}

/** No WebGPU adapter could be found (no `navigator.gpu`, no Vulkan driver, ...). */
export class NoAdapterError extends EngineError {
  constructor(message: string) {
    super('NO_ADAPTER', message);
  }
}

/** Two tensors whose shapes do not fit the op, or a shape that is not valid at all. */
export class ShapeError extends EngineError {
  constructor(message: string) {
    super('SHAPE_MISMATCH', message);
  }
}

/** An argument that is not valid for the op (wrong dtype, out-of-range value, ...). */
export class ArgumentError extends EngineError {
  constructor(message: string) {
    super('BAD_ARGUMENT', message);
  }
}

/** A tensor used after `dispose()`. */
export class DisposedTensorError extends EngineError {
  constructor(what: string) {
    super('TENSOR_DISPOSED', `${what}: the tensor was disposed and can no longer be used`);
  }
}

/** One message of a WGSL compilation. */
export interface ShaderMessage {
  type: 'error' | 'warning' | 'info';
  message: string;
  line: number;
  column: number;
}

/** A WGSL file that does not compile (or cannot be reflected), with the file and line of each error. */
export class ShaderCompileError extends EngineError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly messages: readonly ShaderMessage[];
  constructor(file: string, messages: ShaderMessage[], source?: string) {
    const first = messages.find((m) => m.type === 'error') ?? messages[0];
    const line = first?.line ?? 0;
    const column = first?.column ?? 0;
    const srcLine = source?.split('\n')[line - 1];
    const body = messages
      .filter((m) => m.type === 'error')
      .map((m) => `${file}:${m.line}:${m.column}: ${m.message}`)
      .join('\n');
    super('SHADER_COMPILE', `WGSL compilation failed\n${body}${srcLine !== undefined ? `\n  ${line} | ${srcLine}` : ''}`);
    this.file = file;
    this.line = line;
    this.column = column;
    this.messages = messages;
  }
}

/** A mismatch between a TypeScript call site and its WGSL kernel (uniform names, bindings). */
export class KernelBindingError extends EngineError {
  constructor(message: string) {
    super('KERNEL_BINDING', message);
  }
}

/** An error the GPU reported (validation, out of memory, internal), raised to the caller instead of logged. */
export class GpuError extends EngineError {
  readonly kind: 'validation' | 'out-of-memory' | 'internal' | 'unknown';
  constructor(kind: GpuError['kind'], message: string) {
    super(`GPU_${kind.toUpperCase().replace(/-/g, '_')}`, `GPU ${kind} error: ${message}`);
    this.kind = kind;
  }
}

/**
 * A compute pipeline the device would not create (an override value the entry point refuses, a
 * workgroup larger than the device allows), naming the file, entry point and override constants.
 * Raised by `Runtime.prepare` where the creation was asynchronous (a `GPUPipelineError`), and by
 * the next `sync`, `ready` or read-back where a dispatch created it synchronously.
 */
export class PipelineError extends GpuError {
  readonly file: string;
  readonly entry: string;
  readonly overrides: Readonly<Record<string, number>>;
  constructor(kind: GpuError['kind'], file: string, entry: string, overrides: Readonly<Record<string, number>>, message: string) {
    const ov = Object.keys(overrides).length > 0 ? ` ${JSON.stringify(overrides)}` : '';
    super(kind, `${file} @compute ${entry}${ov}: pipeline not created: ${message}`);
    this.file = file;
    this.entry = entry;
    this.overrides = { ...overrides };
  }
}

/** The device was lost (driver reset, destroyed, ...); the runtime can no longer be used. */
export class DeviceLostError extends EngineError {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super('DEVICE_LOST', `GPU device lost (${reason}): ${message}`);
    this.reason = reason;
  }
}

/** A buffer larger than the device allows (`maxBufferSize`, or `maxStorageBufferBindingSize` for a tensor). */
export class TensorTooLargeError extends EngineError {
  /** Bytes asked for. */
  readonly requested: number;
  /** The device limit that was exceeded, in bytes. */
  readonly limit: number;
  /** The name of that limit in `GPUDevice.limits`. */
  readonly limitName: 'maxBufferSize' | 'maxStorageBufferBindingSize';
  constructor(what: string, requested: number, limitName: TensorTooLargeError['limitName'], limit: number) {
    super('TOO_LARGE', `${what} needs ${requested} bytes, more than the device's ${limitName} of ${limit} bytes`);
    this.requested = requested;
    this.limit = limit;
    this.limitName = limitName;
  }
}

/** An integer label outside [0, classes), found on the GPU (labels that never were on the host). */
export class LabelRangeError extends EngineError {
  /** The first row with a bad label (in the call that found it). */
  readonly row: number;
  readonly label: number;
  readonly classes: number;
  constructor(op: string, row: number, label: number, classes: number | undefined) {
    const range = classes === undefined ? 'outside [0, classes)' : `outside [0, ${classes})`;
    super('LABEL_OUT_OF_RANGE', `${op}: label ${label} at row ${row} is ${range}`);
    this.row = row;
    this.label = label;
    this.classes = classes ?? Number.NaN;
  }
}

/** An optional package the engine needs for what was asked is not installed (e.g. `webgpu` in Node). */
export class MissingPackageError extends EngineError {
  /** The npm package to install. */
  readonly packageName: string;
  constructor(packageName: string, why: string) {
    super('MISSING_PACKAGE', `${why} needs the npm package \`${packageName}\`, which is not installed: npm install ${packageName}`);
    this.packageName = packageName;
  }
}

/**
 * A file that cannot be read or written as asked (engine/io/node.ts): it does not exist, is a
 * directory, a FIFO or a device rather than a regular file, or the system refused the operation.
 * `path` is the file; `reason` is the system's code (`ENOENT`, `EISDIR`, `EACCES`, …) or
 * `NOT_REGULAR` for a file that exists but is not a regular file.
 */
export class FileError extends EngineError {
  readonly path: string;
  readonly reason: string;
  constructor(path: string, reason: string, message: string, options?: { cause?: unknown }) {
    super('FILE_ERROR', `${message} (${reason}: ${quoteString(path, 200)})`);
    this.path = path;
    this.reason = reason;
    if (options && 'cause' in options) (this as { cause?: unknown }).cause = options.cause;
  }
}

/**
 * Recording more GPU work would leave more submits unfinished than the runtime allows
 * (`Runtime.maxSubmitsInFlight`). A loop that records work and never returns to the event loop
 * never lets the runtime see the GPU finish; it must await `rt.ready()` (or `trainer.step()`, or
 * any read-back) every so many steps. Nothing was recorded by the call that threw.
 */
export class BackpressureError extends EngineError {
  /** Submits not yet known to be finished when the error was raised. */
  readonly inFlight: number;
  /** The bound that would have been exceeded. */
  readonly limit: number;
  constructor(where: string, inFlight: number, limit: number) {
    super(
      'BACKPRESSURE',
      `${where}: ${inFlight} submits are not known to be finished, the runtime's bound (maxSubmitsInFlight = ${limit}); ` +
        'a loop that records GPU work must return to the event loop now and then: await rt.ready() (or trainer.step(), or a read-back) every few hundred steps',
    );
    this.inFlight = inFlight;
    this.limit = limit;
  }
}
