/**
 * "Kernel by kernel" and the roofline: the step's kernels in a table (times in the step and alone,
 * attained rates, share of the roof), each kernel as a dot on the roofline against the measured
 * FMA and copy ceilings, and notes reading the picture. Hovering a row or a dot selects the kernel
 * in both; clicking a kernel's name shows its WGSL.
 */
import { el, setHtml } from '../shared/dom';
import type { Clock } from './clock';
import { FAMILY_COLOR } from './costs';
import type { Ceilings, KernelRow } from './measure';
import { drawRoofline, type RooflineDrawn } from './roofline';
import { kernelTable, rates, rowUs, sig } from './views';

/** What the test hook reads about the roofline. */
export interface RooflineState {
  dots: number;
  ceilings: number;
  peakGflops: number;
  bandwidthGBs: number;
}

/** What the test hook reads about one kernel. */
export interface ProfileRow {
  n: number;
  phase: KernelRow['phase'];
  file: string;
  entry: string;
  overrides: KernelRow['dispatch']['overrides'];
  grid: KernelRow['dispatch']['grid'];
  family: KernelRow['family'];
  label: string;
  inStepUs: number | null;
  aloneUs: number | null;
  gflops: number | null;
  gbs: number | null;
  intensity: number;
}

/** What the section tells the page. */
export interface KernelEvents {
  /** A kernel's name was clicked. */
  onSource(r: KernelRow): void;
  /** The roofline was drawn (with ceilings). */
  onRoofline(state: RooflineState): void;
  /** After each redraw (the times may have changed). */
  onRedraw(rows: readonly KernelRow[]): void;
}

/** The panels and what the measurement calls as it goes. */
export interface KernelsSection {
  readonly elements: readonly HTMLElement[];
  /** A new profile: rebuilds the table for `rows` (whose times fill in later) and redraws. */
  show(rows: readonly KernelRow[], clock: Clock): void;
  /** The measured ceilings: the notes are written, the roofline drawn at the next redraw. */
  setCeilings(c: Ceilings): void;
  redraw(): void;
  /** Rewrites the notes (after the replays changed the rates). */
  writeNotes(): void;
  /** The kernels with their rates, for the test hook. */
  profileRows(): ProfileRow[];
}

/** The notes under "Reading it", as markup (the page's own text and numbers). */
function notesMarkup(c: Ceilings, rows: readonly KernelRow[], clock: Clock): string {
  const ridge = c.peakGflops / c.bandwidthGBs;
  const memBound = rows.filter((r) => r.flops > 0 && r.flops / r.bytes < ridge).length;
  const worst = [...rows].filter((r) => r.flops > 0).sort((a, b) => (rates(a, c).gflops ?? Infinity) - (rates(b, c).gflops ?? Infinity))[0];
  const best = [...rows].filter((r) => r.flops > 0).sort((a, b) => (rates(b, c).roof ?? 0) - (rates(a, c).roof ?? 0))[0];
  return `
    <p class="ceil"><span class="swatch" style="background:${FAMILY_COLOR.ceiling}"></span>FMA peak <b>${sig(c.peakGflops)} GFLOP/s</b> (shaders/fma_peak.wgsl) · copy <b>${sig(c.bandwidthGBs)} GB/s</b> (shaders/bandwidth.wgsl), measured here, now, on the ${clock === 'timestamp' ? 'GPU timestamps' : 'wall clock'}.</p>
    <p>The roof bends at <b>${sig(ridge)} FLOP/byte</b>. Left of it a kernel cannot beat the diagonal however good its arithmetic: it waits on memory (${memBound} of the step’s kernels with floating-point work sit there). Right of it the flat line rules, and only more arithmetic per cycle helps: register blocking, vec4 loads.</p>
    <p>The matmuls have the highest intensity (each input element feeds many FMAs), and they also carry dropout and the ReLU derivative in their epilogues (the rows marked dropout mask and gate), so neither costs a pass over memory; the gradient accumulation and the update stream memory and can at best reach the diagonal. ${best ? `Closest to its roof: #${best.n} ${best.dispatch.entry}, at ${Math.round((rates(best, c).roof ?? 0) * 100)}%.` : ''}${best && (rates(best, c).roof ?? 0) > 1 ? ' Above 100%: in this run it streamed faster than the best copy did. A ceiling is the best this page saw, not a law: on a software adapter bandwidth depends on the working set and on what else the CPUs are doing.' : ''}</p>
    ${worst ? `<p>Lowest of all: #${worst.n} ${worst.dispatch.entry} (${worst.label}), ${sig(rowUs(worst))} µs for almost no work. Its time is the price of a dispatch, not of its arithmetic; that price is what fusing kernels removes.</p>` : ''}
    <p class="note">Hover a dot to find its row. Hollow dots on the floor do no floating-point work. On a software adapter “GB/s” is the CPU’s memory system seen through the Vulkan driver: compare kernels with each other and with the ceilings, not with a GPU’s datasheet.</p>`;
}

export function kernelsSection(events: KernelEvents): KernelsSection {
  const tablePanel = el('section', 'panel');
  const table = el('div');
  tablePanel.append(
    el('h2', undefined, 'Kernel by kernel'),
    el(
      'p',
      'note',
      '“in step”: the dispatch in its own pass inside a real step, averaged over a few steps. “alone”: the same dispatch replayed by itself many times and divided, which the rates use: a per-pass timestamp can also catch the tail of the previous pass. Traffic is the minimum (each input read once, each output written once). Click a kernel to read its WGSL.',
    ),
    table,
  );
  const roofRow = el('div', 'roof-row');
  const roofPanel = el('section', 'panel');
  const canvas = el('canvas', 'roofline');
  roofPanel.append(el('h2', undefined, 'Roofline'), canvas);
  const notesPanel = el('section', 'panel roof-notes');
  const notes = el('div');
  notesPanel.append(el('h2', undefined, 'Reading it'), notes);
  roofRow.append(roofPanel, notesPanel);

  let rows: readonly KernelRow[] = [];
  let clock: Clock = 'timestamp';
  let ceilings: Ceilings | null = null;
  let selected: number | null = null;
  let drawn: RooflineDrawn | null = null;
  let refresh: (c: Ceilings | null, selected: number | null) => void = () => {};

  const redraw = (): void => {
    refresh(ceilings, selected);
    if (ceilings) {
      const c = ceilings;
      const points = rows.map((r) => {
        const q = rates(r, c);
        return { id: r.n, intensity: q.ai, gflops: q.gflops ?? 0, color: FAMILY_COLOR[r.family] };
      });
      drawn = drawRoofline(canvas, { peakGflops: c.peakGflops, bandwidthGBs: c.bandwidthGBs, points, highlight: selected });
      events.onRoofline({ dots: drawn.dots, ceilings: drawn.ceilings, peakGflops: c.peakGflops, bandwidthGBs: c.bandwidthGBs });
    }
    events.onRedraw(rows);
  };
  const select = (n: number | null): void => {
    selected = n;
    redraw();
  };
  canvas.onmousemove = (ev) => {
    const rect = canvas.getBoundingClientRect();
    const n = drawn?.hit(ev.clientX - rect.left, ev.clientY - rect.top) ?? null;
    const r = rows.find((x) => x.n === n);
    canvas.title = r ? `#${r.n} ${r.dispatch.file} · ${r.dispatch.entry}\n${r.label}` : '';
    if (n !== selected) select(n);
  };
  const writeNotes = (): void => {
    if (ceilings) setHtml(notes, notesMarkup(ceilings, rows, clock));
  };

  return {
    elements: [tablePanel, roofRow],
    show(newRows, newClock) {
      rows = newRows;
      clock = newClock;
      ceilings = null;
      selected = null;
      drawn = null;
      table.replaceChildren();
      refresh = kernelTable(table, rows, { onSource: events.onSource, onSelect: select });
      redraw();
    },
    setCeilings(c) {
      ceilings = c;
      writeNotes();
    },
    redraw,
    writeNotes,
    profileRows: () =>
      rows.map((r) => {
        const q = rates(r, ceilings);
        return {
          n: r.n,
          phase: r.phase,
          file: r.dispatch.file,
          entry: r.dispatch.entry,
          overrides: r.dispatch.overrides,
          grid: r.dispatch.grid,
          family: r.family,
          label: r.label,
          inStepUs: r.inStepUs,
          aloneUs: r.aloneUs,
          gflops: q.gflops,
          gbs: q.gbs,
          intensity: q.ai,
        };
      }),
  };
}
