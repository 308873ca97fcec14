/**
 * The NaN/Inf guard: an optional training plugin that stops a run whose gradients or parameters
 * stop being finite, and says where it began. It is cheap: the check is a GPU kernel
 * (shaders/guard.wgsl) over the model's whole gradient arena after backward and its whole
 * parameter arena after the update — one dispatch each, no readback — and the kernel keeps the
 * first offending dispatch (its step and buffer) and the smallest bad index in a 12-byte status
 * buffer. The status is read back every `every` steps, and that reading is only looked at the next
 * time, so the CPU never waits for the GPU: a blow-up is noticed at most about 2·`every` steps
 * late, but the error names the exact step and the parameter where it first appeared. Errors
 * that every readback reports (integer labels out of range, engine/ops/softmax-xent.ts) surface at
 * the same cadence.
 *
 *   fit(model, opt, train, val, { …, plugins: [nanGuard({ every: 10 })] })
 */
import { keepTensor } from '../autograd/scope';
import { EngineError, ArgumentError } from '../runtime/errors';
import { grid1d } from '../runtime/grid';
import { fmtShape, type Tensor } from '../runtime/tensor';
import { ParamArena, type ArenaParam } from '../optim/arena';
import type { StepContext, TrainingPlugin } from './plugin';

const WG = 256;
const NONE = 0xffffffff;

/** Which of a parameter's tensors held the first non-finite value. */
export type GuardedTensor = 'gradient' | 'value';

/** A non-finite value (NaN or ±Inf) in a model's gradients or parameters: training was stopped. */
export class NonFiniteError extends EngineError {
  /** The step (as `fit` numbers them) whose backward or update first produced a non-finite value. */
  readonly step: number;
  /** The parameter's name, e.g. `fc1.weight`. */
  readonly tensor: string;
  /** Its gradient (after backward) or its value (after the update). */
  readonly which: GuardedTensor;
  /** The first non-finite element (flat index within the parameter). */
  readonly element: number;
  /** How many non-finite elements the whole arena held at that point. */
  readonly count: number;
  /** The step at which the guard noticed and stopped training. */
  readonly stoppedAt: number;
  constructor(step: number, tensor: string, shape: readonly number[], which: GuardedTensor, element: number, count: number, stoppedAt: number) {
    super(
      'NON_FINITE',
      `nanGuard: the ${which} of ${tensor} ${fmtShape(shape)} became non-finite (NaN or Inf) at step ${step} ` +
        `(first at element ${element}; ${count} non-finite value${count === 1 ? '' : 's'} in the ${which === 'gradient' ? 'gradients' : 'parameters'}); ` +
        `training stopped at step ${stoppedAt}. Lower the learning rate, clip the gradients or check the inputs.`,
    );
    this.step = step;
    this.tensor = tensor;
    this.which = which;
    this.element = element;
    this.count = count;
    this.stoppedAt = stoppedAt;
  }
}

/** Options of {@link nanGuard}. */
export interface NanGuardOptions {
  /** Read the GPU's findings back every this many steps (default 10). The check itself runs every step. */
  every?: number;
  /** The arena to watch (default: the trained model's `arena`, as a `Sequential` has). */
  arena?: ParamArena;
  /** Check the gradients after backward (default true). */
  gradients?: boolean;
  /** Check the parameters after the update (default true). */
  values?: boolean;
}

/** The guard: a training plugin, plus a way to read its findings at any time and to free its buffer. */
export interface NanGuard extends TrainingPlugin {
  /** Reads the status back now (waits for the GPU) and throws {@link NonFiniteError} if anything was found. */
  check(stoppedAt?: number): Promise<void>;
  /** Frees the status buffer (also done when training ends or the guard throws). Safe to call twice. */
  dispose(): void;
}

/** Dispatch tag: non-zero, distinct per (step, buffer). */
function tagOf(step: number, which: GuardedTensor): number {
  return step * 2 + (which === 'gradient' ? 1 : 2);
}

/**
 * A plugin for `fit` that checks every step's gradients and parameters on the GPU and stops
 * training with a {@link NonFiniteError} naming the step and the parameter where a NaN or an Inf
 * first appeared. See the module comment for its cost and latency.
 */
export function nanGuard(options: NanGuardOptions = {}): NanGuard {
  const every = options.every ?? 10;
  if (!Number.isInteger(every) || every < 1) throw new ArgumentError(`nanGuard: every must be a positive integer (steps between readbacks), got ${every}`);
  const checkGrads = options.gradients ?? true;
  const checkValues = options.values ?? true;
  if (!checkGrads && !checkValues) throw new ArgumentError('nanGuard: gradients and values are both off: nothing to check');
  if (options.arena !== undefined && !(options.arena instanceof ParamArena)) throw new ArgumentError('nanGuard: arena must be a ParamArena');

  let arena: ParamArena | null = options.arena ?? null;
  let status: Tensor<'u32'> | null = null;
  let steps = 0;
  /** The loop's step number of the last update seen (differs from `steps` after startStep/resumeStep). */
  let lastStep = -1;
  /** The reading in flight and, once it resolved, its words. */
  let reading: Promise<Uint32Array> | null = null;
  let read: Uint32Array | null = null;
  /** An error the reading raised instead (e.g. a label out of range, which every readback reports). */
  let failed: unknown = null;

  const arenaOf = (ctx: StepContext): ParamArena => {
    if (arena) return arena;
    // Typed as a Sequential, but a hand-made context may still carry anything: check before use.
    const a: unknown = ctx.model?.arena;
    if (!(a instanceof ParamArena)) throw new ArgumentError('nanGuard: the model has no `arena` (a ParamArena); pass one as { arena }');
    arena = a;
    return a;
  };

  const statusFor = (a: ParamArena): Tensor<'u32'> => (status ??= keepTensor(a.rt.tensor(new Uint32Array([0, NONE, 0]), [3], 'u32')));

  const dispatch = (ctx: StepContext, which: GuardedTensor): void => {
    const a = arenaOf(ctx);
    const data = which === 'gradient' ? a.grads : a.values;
    a.rt.dispatch({
      shader: 'guard',
      entry: 'find_nonfinite',
      overrides: { WG },
      uniforms: { n: a.length, tag: tagOf(ctx.step, which) },
      bindings: { data, status: statusFor(a) },
      workgroups: grid1d(a.length, WG),
    });
  };

  const dispose = (): void => {
    status?.dispose();
    status = null;
    reading = null;
    read = null;
    failed = null;
  };

  /** Throws the error `words` describe, if any (freeing the guard first). */
  const raise = (words: Uint32Array, stoppedAt: number): void => {
    const tag = words[0];
    if (tag === 0) return;
    const which: GuardedTensor = tag % 2 === 1 ? 'gradient' : 'value';
    const step = Math.floor((tag - 1) / 2);
    const index = words[1];
    const a = arena!;
    const p: ArenaParam | undefined = a.params.find((q) => index >= q.offset && index < q.offset + q.paddedSize);
    dispose();
    if (!p) throw new NonFiniteError(step, `arena element ${index}`, [a.length], which, index, words[2], stoppedAt);
    throw new NonFiniteError(step, p.name, p.shape, which, index - p.offset, words[2], stoppedAt);
  };

  const check = async (stoppedAt = lastStep >= 0 ? lastStep : steps): Promise<void> => {
    if (!status) return;
    const words = await status.toArray();
    raise(words, stoppedAt);
  };

  return {
    name: 'nanGuard',
    afterBackward(ctx) {
      if (checkGrads) dispatch(ctx, 'gradient');
    },
    afterUpdate(ctx) {
      if (checkValues) dispatch(ctx, 'value');
      lastStep = ctx.step;
      steps++;
      if (steps % every !== 0) return;
      // Look at the previous reading if it has arrived (never wait for it), then start the next one.
      if (failed !== null) {
        const e = failed;
        dispose();
        throw e;
      }
      if (read) {
        const words = read;
        read = null;
        reading = null;
        raise(words, ctx.step);
      }
      if (!reading && status) {
        const job = status.toArray();
        reading = job;
        void job.then(
          (w) => {
            if (reading === job) read = w;
          },
          (e: unknown) => {
            if (reading === job) failed = e;
          },
        );
      }
    },
    async onEnd(ctx) {
      try {
        await check(ctx.step);
      } finally {
        dispose();
      }
    },
    check,
    dispose,
  };
}
