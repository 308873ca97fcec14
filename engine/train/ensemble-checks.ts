/**
 * What a batched ensemble (./ensemble.ts) accepts, checked before anything is stacked: the members'
 * layers (Linear, and Dropout on the inputs or between Linear layers), the same architecture and
 * dropout probabilities in every member, and an optimizer that updates each element on its own.
 * Each check answers with a sentence saying why not, or null.
 */
import type { Layer } from '../nn/layer';
import { Linear } from '../nn/linear';
import { Dropout } from '../nn/dropout';
import type { Sequential } from '../nn/sequential';
import type { Chain } from '../optim/chain';
import { ClipTransform, CustomTransform, type DirectionTransform } from '../optim/transforms';

/**
 * A member's layers as the batched step runs them: an optional input dropout, then Linear layers,
 * each but the last optionally followed by one dropout (where `forwardLayers` fuses it into the
 * chain); a string saying why when the layers are otherwise. Dropout layers that keep every unit
 * (rate 0) are the identity, as in `forwardLayers`.
 */
export function memberStructure(layers: readonly Layer[]): { input: Dropout | null; linears: { linear: Linear; dropout: Dropout | null }[] } | string {
  let input: Dropout | null = null;
  const linears: { linear: Linear; dropout: Dropout | null }[] = [];
  for (const [j, l] of layers.entries()) {
    if (l instanceof Linear) linears.push({ linear: l, dropout: null });
    else if (l instanceof Dropout) {
      const after = linears[linears.length - 1];
      if (j === layers.length - 1) return `the dropout "${l.name}" follows the last layer (only dropout on the inputs and between Linear layers batches)`;
      if (j > 0 && !(layers[j - 1] instanceof Linear)) return `the dropout "${l.name}" follows another dropout (one dropout per site batches)`;
      if (l.rate === 0) continue;
      if (after) after.dropout = l;
      else input = l;
    } else
      return `the layer "${l.name}" (${l.constructor.name}): only Linear and Dropout layers batch (batch norm and other layers inside members would need buffers per member)`;
  }
  return { input, linears };
}

/** Why member i's dropout `d` cannot share a dispatch with member 0's `f` (the threshold and scale are the dispatch's), or null. */
function dropoutMismatch(i: number, d: Dropout | null, f: Dropout | null, where: string): string | null {
  if (!d && !f) return null;
  if (!d || !f) return `member ${i} has ${d ? `the dropout "${d.name}"` : 'no dropout'} ${where} and member 0 ${f ? `the dropout "${f.name}"` : 'none'}`;
  if (d.name !== f.name || d.keepProb !== f.keepProb || d.rule !== f.rule)
    return `member ${i}'s dropout ${where} (${d.name}, keep ${d.keepProb}, ${d.rule}) differs from member 0's (${f.name}, keep ${f.keepProb}, ${f.rule}): every member's must keep with the same probability and rule (the seeds may differ)`;
  return null;
}

/**
 * Why `members` cannot train as one batched ensemble (a sentence), or null when they can: at least
 * one member, all on one runtime, every layer a Linear or a Dropout on the inputs or between two
 * Linear layers, the same widths, activations, biases, dropout probabilities and rules, fusion
 * setting and parameter penalties in every member (dropout seeds and streams may differ: each
 * member draws its own masks).
 */
export function unbatchableReason(members: readonly Sequential[]): string | null {
  if (!Array.isArray(members) || members.length === 0) return 'it needs at least one member';
  const list: readonly Sequential[] = members;
  const first = list[0];
  const firstShape = memberStructure(first.layers);
  if (typeof firstShape === 'string') return `member 0: ${firstShape}`;
  for (const [i, m] of list.entries()) {
    if (m.arena.rt !== first.arena.rt) return `member ${i} is on another runtime`;
    const shape = memberStructure(m.layers);
    if (typeof shape === 'string') return `member ${i}: ${shape}`;
    if (shape.linears.length !== firstShape.linears.length)
      return `member ${i} has ${shape.linears.length} Linear layers, member 0 ${firstShape.linears.length}`;
    const inputWhy = dropoutMismatch(i, shape.input, firstShape.input, 'on the inputs');
    if (inputWhy) return inputWhy;
    for (const [j, { linear: l, dropout }] of shape.linears.entries()) {
      const f = firstShape.linears[j].linear;
      if (l.name !== f.name || l.inFeatures !== f.inFeatures || l.outFeatures !== f.outFeatures || l.activation !== f.activation || l.hasBias !== f.hasBias)
        return `member ${i}'s layer ${j} (${l.name} ${l.inFeatures}→${l.outFeatures} ${l.activation}) differs from member 0's (${f.name} ${f.inFeatures}→${f.outFeatures} ${f.activation})`;
      if (l.outFeatures === 1) return `layer ${l.name} has width 1 (its bias gradient is a different reduction alone)`;
      const why = dropoutMismatch(i, dropout, firstShape.linears[j].dropout, `after ${l.name}`);
      if (why) return why;
    }
    if (m.fuse !== first.fuse) return `member ${i} fuses its layers (${m.fuse}) and member 0 does not (${first.fuse}), or the reverse`;
    for (const p of m.arena.params) if (p.l2 !== first.arena.param(p.name).l2) return `member ${i}'s ${p.name} has its own l2 (${p.l2})`;
  }
  return null;
}

/** Why `optimizer` cannot update stacked members exactly as it updates each alone, or null. */
export function optimizerReason(optimizer: DirectionTransform | Chain): string | null {
  const transforms = 'transforms' in optimizer ? optimizer.transforms : [optimizer];
  if (transforms.some((t) => t instanceof ClipTransform)) return 'a global-norm clip couples the members (one norm over all of them)';
  if (transforms.some((t) => t instanceof CustomTransform)) return 'a custom transform may not be per element';
  return null;
}
