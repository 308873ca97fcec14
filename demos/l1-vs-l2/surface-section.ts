/**
 * The 2-D picture again, on two real weights of the MNIST model below: the user picks them (two
 * pickers, or a click on a pixel of a first-layer weight image), the page evaluates the training
 * loss on a grid around their current values on the GPU (loss-surface.ts), and draws its contours
 * with the L1 diamond through the current point. Small on a software adapter, computed on demand.
 */
import { el, html, setHtml } from '../shared/dom';
import type { JobQueue } from '../shared/jobs';
import type { SurfaceEvaluator, LossSurface, WeightPick } from './loss-surface';
import { SURFACE_COLORS, surfaceView } from './surface-view';

/** The section's element and its state. */
export interface SurfaceSection {
  readonly element: HTMLElement;
  readonly last: LossSurface | null;
  readonly picks: [WeightPick, WeightPick];
  /** Sets weight `which` (0: a, 1: b), e.g. from a click on a weight image. */
  pick(which: 0 | 1, p: WeightPick): void;
  /** Sets the next weight in turn (a, b, a, …): what a click on a weight image does. */
  pickNext(p: WeightPick): void;
  /** Computes the surface at the weights as they are now (queued behind training); resolves with it. */
  compute(): Promise<LossSurface>;
  /** Schedules a computation unless one is already waiting. */
  refresh(): void;
}

/** What the pickers offer: the two weight matrices of the MLP, [in, out]. */
const LAYERS = {
  'fc1.weight': { title: 'layer 1: pixel → hidden unit', rowName: 'pixel', colName: 'unit' },
  'fc2.weight': { title: 'layer 2: hidden unit → digit', rowName: 'unit', colName: 'digit' },
} as const;

/** How the grid is laid out. */
export interface SurfaceConfig {
  /** Grid points per axis (odd). */
  size: number;
  /** Half-width of the grid in RMS of the weight matrix. */
  spread: number;
  hidden: number;
  /** Training step now and the L1 α now (read when drawing). */
  step(): number;
  alpha(): number;
}

/** Builds the section; `serial` keeps its GPU work apart from training. */
export function surfaceSection(evaluator: SurfaceEvaluator, config: SurfaceConfig, serial: JobQueue, onError: (e: unknown) => void): SurfaceSection {
  const element = el('div', 'panel surface-section');
  element.append(
    el('h2', undefined, 'The same picture on two real weights of the MNIST network'),
    el(
      'p',
      'note',
      `Pick two weights a and b of the network trained above (or click a pixel of one of its weight images: the clicks set a, then b). The page sets them to each value of a ${config.size} × ${config.size} grid around their current values, runs the network forward on ${evaluator.examples} fixed training digits on the GPU for each, and reads all ${config.size * config.size} losses back at once; the weights are then restored bit for bit. All other weights stay where training put them, so this is a slice through the real loss surface.`,
    ),
  );
  const picks: [WeightPick, WeightPick] = [
    { param: 'fc2.weight', row: 0, col: 3 },
    { param: 'fc2.weight', row: 0, col: 5 },
  ];
  const bar = el('div', 'surface-bar');
  const pickers = ([0, 1] as const).map((w) => {
    const box = el('span', 'surface-pick');
    const layer = el('select');
    layer.id = `surface-layer-${w}`;
    for (const [name, l] of Object.entries(LAYERS)) layer.append(new Option(l.title, name));
    const row = el('input');
    const col = el('input');
    row.id = `surface-row-${w}`;
    col.id = `surface-col-${w}`;
    for (const i of [row, col]) Object.assign(i, { type: 'number', min: '0', step: '1' });
    const rowLabel = el('label');
    const colLabel = el('label');
    rowLabel.append(el('span'), row);
    colLabel.append(el('span'), col);
    box.append(el('b', undefined, w === 0 ? 'a' : 'b'), layer, rowLabel, colLabel);
    bar.append(box);
    const sync = (): void => {
      const p = picks[w];
      const l = LAYERS[p.param as keyof typeof LAYERS];
      layer.value = p.param;
      (rowLabel.firstChild as HTMLElement).textContent = l.rowName;
      (colLabel.firstChild as HTMLElement).textContent = l.colName;
      row.max = String(p.param === 'fc1.weight' ? 783 : config.hidden - 1);
      col.max = String(p.param === 'fc1.weight' ? config.hidden - 1 : 9);
      row.value = String(p.row);
      col.value = String(p.col);
    };
    const read = (): void => {
      const param = layer.value;
      const rows = param === 'fc1.weight' ? 784 : config.hidden;
      const cols = param === 'fc1.weight' ? config.hidden : 10;
      const clamp = (v: number, n: number): number => Math.min(n - 1, Math.max(0, Math.round(Number.isFinite(v) ? v : 0)));
      picks[w] = { param, row: clamp(Number(row.value), rows), col: clamp(Number(col.value), cols) };
      sync();
      refresh();
    };
    layer.addEventListener('change', read);
    row.addEventListener('change', read);
    col.addEventListener('change', read);
    return { sync };
  });
  const button = el('button', undefined, 'Compute surface');
  button.id = 'surface-compute';
  bar.append(button);
  element.append(bar);

  const row = el('div', 'row surface-row');
  const view = surfaceView(340);
  const side = el('div', 'surface-side');
  const legend = html(
    'p',
    'legend',
    `<span><i style="background:${SURFACE_COLORS.contour}"></i>contours of the loss</span><span><i style="background:${SURFACE_COLORS.penalty}"></i>L1 level set |a| + |b| = const through the current point</span><span><i class="ring" style="border-color:${SURFACE_COLORS.current};background:${SURFACE_COLORS.current}"></i>current weights</span><span>× lowest loss on the grid</span><span><i class="ring" style="border-color:${SURFACE_COLORS.regMin}"></i>lowest loss + α(|a| + |b|)</span>`,
  );
  const readout = html('div', 'readout surface-readout', '<p>Computing…</p>');
  side.append(readout, legend);
  row.append(view.canvas, side);
  element.append(row);

  const name = (p: WeightPick): string =>
    p.param === 'fc1.weight' ? `layer 1, pixel (${Math.floor(p.row / 28)}, ${p.row % 28}) → unit ${p.col}` : `layer 2, unit ${p.row} → digit ${p.col}`;

  /** An exact zero (proximal L1's doing) said as such, not as a rounded 0.0000. */
  const value = (v: number): string => (v === 0 ? '<b>exactly 0</b>' : v.toFixed(4));

  let last: LossSurface | null = null;
  const show = (s: LossSurface): void => {
    const alpha = config.alpha();
    view.draw(s, alpha);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of s.losses) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const c = (s.size - 1) / 2;
    const centre = s.losses[c * s.size + c];
    setHtml(
      readout,
      `<p><b>a</b> = ${name(s.picks[0])} = ${value(s.current[0])}<br><b>b</b> = ${name(s.picks[1])} = ${value(s.current[1])}</p>` +
        `<p>After step ${s.step}: loss on ${s.examples} training digits <b>${s.currentLoss.toFixed(4)}</b> (engine's evaluate); at the grid's centre ${centre.toFixed(4)}. Over the grid (± ${s.halfWidth.toFixed(3)}, ${config.spread}× the weights' RMS) it runs from ${lo.toFixed(4)} to ${hi.toFixed(4)}.</p>` +
        `<p>The network trains with L1 (α = ${alpha.toExponential(1)}). As in the 2-D picture, the penalised optimum sits where a contour touches a diamond. If the loss barely changes along one weight (contours nearly parallel to its axis), the red ring moves to the diamond's corner on the other axis: that weight is cheapest at exactly 0.</p>`,
    );
  };

  let waiting: Promise<LossSurface> | null = null;
  const compute = (): Promise<LossSurface> => {
    if (waiting) return waiting;
    button.disabled = true;
    const run = serial(async () => {
      waiting = null;
      const s = await evaluator.compute([{ ...picks[0] }, { ...picks[1] }], config.size, config.spread, config.step());
      last = s;
      show(s);
      return s;
    });
    waiting = run;
    void run.then(
      () => (button.disabled = waiting !== null),
      () => (button.disabled = false),
    );
    return run;
  };
  const refresh = (): void => void compute().catch(onError);
  button.addEventListener('click', refresh);

  const pick = (which: 0 | 1, p: WeightPick): void => {
    picks[which] = { ...p };
    pickers[which].sync();
    refresh();
  };
  let next: 0 | 1 = 0;
  pickers.forEach((p) => p.sync());

  return {
    element,
    get last() {
      return last;
    },
    picks,
    pick,
    pickNext(p) {
      pick(next, p);
      next = next === 0 ? 1 : 0;
    },
    compute,
    refresh,
  };
}
