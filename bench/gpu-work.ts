/**
 * Counts the GPU work that really reaches WebGPU while a benchmark sample runs, whoever submits it:
 * `GPUQueue.prototype.submit` and `GPUComputePassEncoder.prototype.dispatchWorkgroups` (and
 * `dispatchWorkgroupsIndirect`) are wrapped for the duration of the sample and restored afterwards.
 * The engine, tfjs-webgpu and jax-js all reach the GPU through these prototypes (the peers are given
 * the engine's `navigator.gpu`), so a peer row that counted no dispatch did its work elsewhere (a CPU
 * fallback) and the report says so. The wrappers only add to two counters; nothing is read back.
 * Shared by Node and the browser page (nothing Node-only).
 */

/** GPU work counted over some interval. */
export interface GpuWork {
  /** `GPUQueue.submit` calls. */
  submits: number;
  /** `dispatchWorkgroups` and `dispatchWorkgroupsIndirect` calls. */
  dispatches: number;
}

/** The GPU work of a report row, per call of the measured function (a product, a step, ...). */
export interface RowGpuWork {
  /** Calls counted: every iteration of every timed sample. */
  calls: number;
  submitsPerCall: number;
  dispatchesPerCall: number;
}

type Method = (this: unknown, ...args: unknown[]) => unknown;

const counts: GpuWork = { submits: 0, dispatches: 0 };
let depth = 0;
let restore: (() => void) | null = null;
let prototypes: { queue: Record<string, Method>; pass: Record<string, Method> } | null = null;

/** The prototypes to wrap, found from a device (the same classes serve every device of the page or process). */
function prototypesOf(device: GPUDevice): NonNullable<typeof prototypes> {
  if (prototypes) return prototypes;
  const queue = Object.getPrototypeOf(device.queue) as Record<string, Method>;
  const encoder = device.createCommandEncoder({ label: 'bench gpu-work probe' });
  const pass = encoder.beginComputePass();
  const passProto = Object.getPrototypeOf(pass) as Record<string, Method>;
  pass.end();
  encoder.finish();
  if (typeof queue.submit !== 'function' || typeof passProto.dispatchWorkgroups !== 'function') {
    throw new Error('bench: cannot count GPU work: GPUQueue.submit or GPUComputePassEncoder.dispatchWorkgroups is not on its prototype');
  }
  prototypes = { queue, pass: passProto };
  return prototypes;
}

function wrap(target: Record<string, Method>, name: string, key: keyof GpuWork): () => void {
  const original = target[name];
  if (typeof original !== 'function') return () => {};
  target[name] = function (this: unknown, ...args: unknown[]) {
    counts[key]++;
    return original.apply(this, args);
  };
  return () => {
    target[name] = original;
  };
}

function install(device: GPUDevice): void {
  if (depth++ > 0) return;
  const p = prototypesOf(device);
  const undo = [wrap(p.queue, 'submit', 'submits'), wrap(p.pass, 'dispatchWorkgroups', 'dispatches'), wrap(p.pass, 'dispatchWorkgroupsIndirect', 'dispatches')];
  restore = () => undo.forEach((u) => u());
}

function uninstall(): void {
  if (--depth > 0) return;
  restore?.();
  restore = null;
}

/**
 * Runs `fn` with the counting wrappers in place and returns its result with the submits and
 * dispatches made meanwhile (by anyone: run nothing else on the GPU at the same time). `device`
 * only serves to find the prototypes. Windows may nest; the wrappers are removed when the last ends.
 */
export async function countGpuWork<T>(device: GPUDevice, fn: () => T | Promise<T>): Promise<{ result: T; work: GpuWork }> {
  install(device);
  const s0 = counts.submits;
  const d0 = counts.dispatches;
  try {
    const result = await fn();
    return { result, work: { submits: counts.submits - s0, dispatches: counts.dispatches - d0 } };
  } finally {
    uninstall();
  }
}

/** Adds up the GPU work of a row's samples and gives it per call. */
export class GpuWorkTally implements GpuWork {
  calls = 0;
  submits = 0;
  dispatches = 0;

  /** Adds one sample's work, made by `calls` calls of the measured function. */
  add(work: GpuWork, calls: number): void {
    this.calls += calls;
    this.submits += work.submits;
    this.dispatches += work.dispatches;
  }

  /** Adds another tally's counts. */
  addAll(other: GpuWorkTally): void {
    this.add(other, other.calls);
  }

  /** The work per call (undefined when nothing was counted). */
  perCall(): RowGpuWork | undefined {
    if (this.calls === 0) return undefined;
    const r = (x: number) => Number((x / this.calls).toPrecision(4));
    return { calls: this.calls, submitsPerCall: r(this.submits), dispatchesPerCall: r(this.dispatches) };
  }
}

/** Whether a row's counted work shows no GPU dispatch at all: its work ran elsewhere (a CPU fallback?). */
export function noGpuWork(w: RowGpuWork | undefined): boolean {
  return w !== undefined && w.dispatchesPerCall === 0;
}

/** The label the table, the HTML report and the page give a row without GPU work. */
export const NO_GPU_WORK = 'no GPU work — CPU fallback?';
