/**
 * A chain's transforms, in the order the caller wrote them, turned into the program the fused
 * update kernel runs per element (shaders/update_chain.wgsl): a list of "slots" before the
 * direction, the direction, and a list of slots after it. Each slot is one penalty kind with its own
 * column of per-parameter coefficients; the kernel's `PRE0 … POST3` override constants name the kind
 * of each slot, so one pipeline is compiled per chain signature and a step compiles nothing.
 *
 * The order rules, which keep each name to one meaning:
 *   custom transforms first (they record their own dispatches on the raw gradient);
 *   clipByGlobalNorm next (its factor comes from the norm of the raw gradient);
 *   coupledL2 and l1Subgradient before the direction (they add to the update u);
 *   decoupledWeightDecay and proximalL1 after it (they act on the new weights), in the order given.
 * Any other order is refused with an {@link ArgumentError} that names the order. Penalties of one
 * kind at one position add up: before the direction all of a kind share one slot (they are sums);
 * after it, neighbours of one kind do (decay, prox, decay is three slots: the threshold sits between).
 */
import { ArgumentError } from '../runtime/errors';
import { ClipTransform, CustomTransform, DirectionTransform, type PenaltyTransform, type GradientTransformation, type PenaltyKind } from './transforms';

/** Slots before the direction: one per kind (coupledL2, l1Subgradient). */
export const PRE_SLOTS = 2;
/** Slots after the direction: runs of decoupledWeightDecay and proximalL1. */
export const POST_SLOTS = 4;

/** One slot of the kernel: a penalty kind and the transforms whose coefficients it sums. */
export interface Slot {
  readonly kind: PenaltyKind;
  readonly penalties: PenaltyTransform[];
}

/** A chain checked and laid out for the fused kernel. */
export interface ChainProgram {
  readonly customs: readonly CustomTransform[];
  readonly clip: ClipTransform | undefined;
  /** In the caller's order (first appearance of each kind). */
  readonly pre: readonly Slot[];
  readonly direction: DirectionTransform;
  /** In the caller's order, neighbours of one kind merged. */
  readonly post: readonly Slot[];
}

/** The kernel's code of each slot kind (the WGSL constants of shaders/update_chain.wgsl). */
export const SLOT_CODE: Readonly<Record<PenaltyKind | 'none', number>> = { none: 0, l2: 1, l1: 2, decay: 3, prox: 4 };

/** How an order is printed in errors: `coupledL2 → sgd → proximalL1`. */
export function describeOrder(transforms: readonly GradientTransformation[]): string {
  return transforms.map((t) => (t instanceof CustomTransform ? `customTransform "${t.name}"` : t.name)).join(' → ');
}

/** Checks the order of `transforms` (see the module comment) and lays them out in slots. */
export function compileChain(transforms: readonly GradientTransformation[]): ChainProgram {
  const order = describeOrder(transforms);
  const refuse = (why: string): never => {
    throw new ArgumentError(`chain: ${why} (order given: ${order})`);
  };
  const customs: CustomTransform[] = [];
  const pre: Slot[] = [];
  const post: Slot[] = [];
  let clip: ClipTransform | undefined;
  let direction: DirectionTransform | undefined;
  let previous: GradientTransformation | undefined;
  for (const t of transforms) {
    if (t instanceof CustomTransform) {
      if (previous && !(previous instanceof CustomTransform))
        refuse(
          `customTransform "${t.name}" comes after ${previous.name}; custom transforms record their own dispatches on the raw gradient, so they come first`,
        );
      customs.push(t);
    } else if (t instanceof ClipTransform) {
      if (clip) refuse('more than one clipByGlobalNorm');
      if (direction || pre.length > 0)
        refuse(`clipByGlobalNorm comes after ${previous?.name}; it scales u by the norm of the raw gradient, so it comes first (after custom transforms only)`);
      clip = t;
    } else if (t instanceof DirectionTransform) {
      if (direction) refuse(`2 update directions (${direction.rule}, ${t.rule}); a chain has one`);
      direction = t;
    } else if (t.kind === 'l2' || t.kind === 'l1') {
      if (direction) {
        const instead = t.kind === 'l2' ? 'decoupledWeightDecay to decay the weights after it' : 'proximalL1 to shrink the weights after it';
        refuse(`${t.name} comes after the direction ${direction.rule}; it adds to the update, so put it before the direction, or use ${instead}`);
      }
      const slot = pre.find((s) => s.kind === t.kind);
      if (slot) slot.penalties.push(t);
      else pre.push({ kind: t.kind, penalties: [t] });
    } else {
      if (!direction) {
        const instead = t.kind === 'decay' ? 'use coupledL2 for a penalty added to the gradient' : 'use l1Subgradient for a penalty added to the gradient';
        refuse(`${t.name} comes before the direction; it acts on the new weights, so put it after the direction, or ${instead}`);
      }
      const last = post[post.length - 1];
      if (last?.kind === t.kind) last.penalties.push(t);
      else post.push({ kind: t.kind, penalties: [t] });
    }
    previous = t;
  }
  if (!direction) throw new ArgumentError(`chain: no update direction (add sgd, momentum or adam) (order given: ${order || 'empty'})`);
  if (post.length > POST_SLOTS)
    refuse(`${post.length} alternating runs of decoupledWeightDecay and proximalL1 after the direction; the fused kernel has ${POST_SLOTS}`);
  return { customs, clip, pre, direction, post };
}

/** Whether `transforms` holds a direction yet (a chain may be built from parts and completed later). */
export function hasDirection(transforms: readonly GradientTransformation[]): boolean {
  return transforms.some((t) => t instanceof DirectionTransform);
}
