/**
 * What regenerating the mask saves: the bytes a stored mask would take between the forward and the
 * backward pass, per dropout layer of the model on screen, and the panel that shows them.
 */
import { el, setHtml } from '../shared/dom';

/** One dropout layer's mask. */
export interface MaskSize {
  layer: string;
  rows: number;
  units: number;
}

/** A layer's stored-mask cost under both conventions. */
export interface MaskBytes extends MaskSize {
  /** As an f32 tensor (the activation's type): 4 bytes per unit. */
  f32: number;
  /** As a packed bitmask: 1 bit per unit, rounded up to whole bytes. */
  bits: number;
}

/** Bytes per layer under both conventions, and their totals. */
export function maskBytes(layers: readonly MaskSize[]): { layers: MaskBytes[]; f32: number; bits: number } {
  const rows = layers.map((l) => ({ ...l, f32: l.rows * l.units * 4, bits: Math.ceil((l.rows * l.units) / 8) }));
  return { layers: rows, f32: rows.reduce((s, l) => s + l.f32, 0), bits: rows.reduce((s, l) => s + l.bits, 0) };
}

/** A byte count with thousands separators, e.g. `8,192 B`. */
export function formatBytes(n: number): string {
  return `${n.toLocaleString('en-US')} B`;
}

/** The panel: the per-layer table and the convention it uses. */
export function memoryPanel(layers: readonly MaskSize[]): HTMLElement {
  const panel = el('div', 'panel memory-panel');
  const m = maskBytes(layers);
  setHtml(
    panel,
    `<h2>Mask memory the regeneration saves</h2>
<table><thead><tr><th>layer</th><th>mask</th><th>f32 mask</th><th>bitmask</th></tr></thead><tbody>
${m.layers.map((l) => `<tr><td>${l.layer}</td><td>${l.rows} × ${l.units}</td><td>${formatBytes(l.f32)}</td><td>${formatBytes(l.bits)}</td></tr>`).join('')}
<tr class="total"><td>every step</td><td></td><td><b>${formatBytes(m.f32)}</b></td><td>${formatBytes(m.bits)}</td></tr></tbody></table>
<p class="note">Convention: <b>f32 masks, 4 bytes per unit</b> (batch × units × 4), as a framework that keeps the mask as a tensor of the activations' type stores it between the forward and the backward pass; a packed bitmask would need 1 bit per unit. This kernel stores <b>0 bytes</b>: the backward pass runs the same kernel on the gradient with the same key (seed, stream, step), so Philox regenerates exactly the same bits (one call per 8 units).</p>`,
  );
  return panel;
}
