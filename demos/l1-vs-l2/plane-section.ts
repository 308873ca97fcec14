/**
 * The 2-D section: one α slider, two panels (L2 with a rotated H, L1 with a diagonal H), each with
 * the closed form drawn at once and the engine's solve drawn when the GPU has finished it.
 */
import { l1Optimum, l2Optimum, distance, L1_PROBLEM, L2_PROBLEM, type Quadratic, type Vec2 } from './quadratic';
import { planeView, PLANE_COLORS, type PlaneView } from './plane-view';
import { QuadraticSolver, SOLVE_LR, SOLVE_STEPS, type Solve } from './solver';
import type { Runtime } from 'webgpu-regularization';
import { el, html, setHtml } from '../shared/dom';
import type { JobQueue } from '../shared/jobs';

/** The α slider's range. */
export const ALPHA2D_MAX = 2.5;
export const ALPHA2D_STEP = 0.05;

/** What the test hook reads about one panel. */
export interface PanelState {
  alpha: number;
  closedForm: Vec2;
  /** Where the closed form is drawn, in canvas CSS pixels. */
  drawn: { x: number; y: number };
  /** The engine's last solve (its α may lag the slider's while a solve runs). */
  solverAlpha: number | null;
  solver: Vec2 | null;
  distance: number | null;
}

/** The section's element and its state. */
export interface PlaneSection {
  readonly element: HTMLElement;
  readonly panels: { l2: PanelState; l1: PanelState };
  /** Sets α (as the slider does) and resolves when both engine solves for it are drawn. */
  setAlpha(a: number): Promise<void>;
  /** Resolves when the solves for the current α are drawn. */
  settled(): Promise<void>;
  /** Canvas CSS pixel → world point, for a panel. */
  fromPx(panel: 'l2' | 'l1', x: number, y: number): Vec2;
}

/** A point as text: (0.1234, 0.5678). */
const pointText = (v: Vec2, digits = 4): string => `(${v[0].toFixed(digits)}, ${v[1].toFixed(digits)})`;
/** Exact zeros shown as "0", so that a student sees the difference from 0.0000 rounding. */
const pointMarkupExact = (v: Vec2): string => `(${v.map((x) => (x === 0 ? '<b>0</b>' : x.toFixed(4))).join(', ')})`;

interface Panel {
  kind: 'l2' | 'l1';
  problem: Quadratic;
  view: PlaneView;
  solver: QuadraticSolver;
  readout: HTMLElement;
  state: PanelState;
  closedForm(alpha: number): Vec2;
  regPath: Vec2[];
  last: Solve | null;
}

/**
 * Builds the section; `serial` runs GPU jobs one after another (shared with the training below),
 * `onError` receives a failed solve.
 */
export function planeSection(rt: Runtime, initialAlpha: number, serial: JobQueue, onAlpha: (a: number) => void, onError: (e: unknown) => void): PlaneSection {
  const element = el('div', 'panel plane-section');
  element.append(
    el('h2', undefined, 'The 2-D picture: J(w) = ½(w − w*)ᵀH(w − w*) plus a penalty'),
    html(
      'p',
      'note',
      'Blue ellipses: contours of J; the darker one passes through the regularized optimum w̃. Green: the points with the same penalty as w̃ (a circle ‖w‖₂ = const for L2, a diamond ‖w‖₁ = const for L1). At w̃ the two curves touch. A circle can touch an ellipse anywhere; a diamond usually touches it at a corner, <b>on an axis: a weight that is exactly 0</b>. Dashed grey: w̃ as α goes from 0 to ' +
        ALPHA2D_MAX +
        '. Orange: the engine solving the same problem on the GPU.',
    ),
  );
  const bar = el('div', 'alpha-bar');
  const slider = el('input');
  Object.assign(slider, { type: 'range', min: '0', max: String(ALPHA2D_MAX), step: String(ALPHA2D_STEP), value: String(initialAlpha) });
  slider.id = 'alpha-2d';
  const out = el('output', 'alpha-value');
  const label = el('label');
  label.append('penalty strength α', slider, out);
  bar.append(label);
  element.append(bar);

  const row = el('div', 'row planes');
  element.append(row);
  const legend = html(
    'p',
    'legend',
    `<span><i class="ring" style="border-color:${PLANE_COLORS.closedForm}"></i>closed form (book)</span><span><i style="background:${PLANE_COLORS.solver}"></i>engine: chain optimizer, ${SOLVE_STEPS} GPU steps, ε = ${SOLVE_LR}</span><span><i style="background:${PLANE_COLORS.penalty}"></i>penalty level set</span><span><i class="dash" style="border-color:${PLANE_COLORS.regPath}"></i>w̃ for α ∈ [0, ${ALPHA2D_MAX}]</span>`,
  );
  element.append(legend);

  const make = (kind: 'l2' | 'l1', problem: Quadratic, title: string, caption: string): Panel => {
    const box = el('div', 'plane-box');
    const view = planeView(340);
    const readout = el('div', 'readout');
    box.append(el('h3', undefined, title), el('p', 'note caption', caption), view.canvas, readout);
    row.append(box);
    const closedForm = (a: number): Vec2 => (kind === 'l2' ? l2Optimum(problem, a) : l1Optimum(problem, a));
    const regPath = Array.from({ length: 101 }, (_, i) => closedForm((ALPHA2D_MAX * i) / 100));
    const state: PanelState = { alpha: NaN, closedForm: [NaN, NaN], drawn: { x: NaN, y: NaN }, solverAlpha: null, solver: null, distance: null };
    return { kind, problem, view, solver: QuadraticSolver.create(rt, problem, kind), readout, state, closedForm, regPath, last: null };
  };
  const l2 = make(
    'l2',
    L2_PROBLEM,
    'L2: Ω = ½‖w‖²',
    `H rotated by 35°, eigenvalues λ = (${L2_PROBLEM.lambda.join(', ')}), w* = (${L2_PROBLEM.wStar.join(', ')})`,
  );
  const l1 = make(
    'l1',
    L1_PROBLEM,
    'L1: Ω = ‖w‖₁',
    `H diagonal (eq. 7.23 needs it): H = diag(${L1_PROBLEM.lambda.join(', ')}), w* = (${L1_PROBLEM.wStar.join(', ')})`,
  );
  const panels = [l2, l1];

  const render = (p: Panel, alpha: number): void => {
    const cf = p.closedForm(alpha);
    const solve = p.last && p.last.alpha === alpha ? p.last : null;
    p.view.draw({ problem: p.problem, penalty: p.kind, closedForm: cf, regPath: p.regPath, solverPath: solve?.path ?? null });
    const d = solve ? distance(solve.final, cf) : null;
    Object.assign(p.state, {
      alpha,
      closedForm: cf,
      drawn: p.view.toPx(cf),
      solverAlpha: p.last?.alpha ?? null,
      solver: p.last?.final ?? null,
      distance: p.last ? distance(p.last.final, cf) : null,
    });
    const [l1v, l2v] = p.problem.lambda;
    const book =
      p.kind === 'l2'
        ? `<b>Eq. 7.13</b> w̃ = Q(Λ + αI)⁻¹ΛQᵀw* = <span class="cf">${pointText(cf)}</span>: the part of w* along each eigenvector shrinks by λᵢ/(λᵢ + α) = ${(l1v / (l1v + alpha)).toFixed(3)} and ${(l2v / (l2v + alpha)).toFixed(3)}. No weight becomes 0.`
        : `<b>Eq. 7.23</b> w̃ᵢ = sign(wᵢ*)·max(|wᵢ*| − α/Hᵢᵢ, 0) = <span class="cf">${pointMarkupExact(cf)}</span>, thresholds α/Hᵢᵢ = ${(alpha / l1v).toFixed(3)} and ${(alpha / l2v).toFixed(3)} against |w*| = ${Math.abs(p.problem.wStar[0])} and ${Math.abs(p.problem.wStar[1])}.`;
    const engine = solve
      ? `<b>Engine</b> (<code>${p.kind === 'l2' ? 'chain(coupledL2(α), sgd)' : 'chain(sgd, proximalL1(α))'}</code> on a 2-element ParamArena, gradient H(w − w*) from the tape on the GPU): <span class="sv">${p.kind === 'l1' ? pointMarkupExact(solve.final) : pointText(solve.final)}</span>, <b>distance to the closed form ${d!.toExponential(1)}</b>.`
      : '<b>Engine</b>: solving on the GPU…';
    setHtml(p.readout, `<p>${book}</p><p>${engine}</p>`);
  };

  let alpha = initialAlpha;
  let running: Promise<void> = Promise.resolve();
  let wanted = false;
  /** Solves for the current α, again if α moved meanwhile: the last solve always matches the slider. */
  const solveLoop = (): Promise<void> => {
    if (wanted) return running;
    wanted = true;
    running = running.then(() =>
      serial(async () => {
        while (wanted) {
          wanted = false;
          const a = alpha;
          const results = await Promise.all(panels.map((p) => p.solver.solve(a)));
          panels.forEach((p, i) => (p.last = results[i]));
          for (const p of panels) render(p, alpha);
        }
      }).catch(onError),
    );
    return running;
  };

  const setAlpha = (a: number): Promise<void> => {
    alpha = Math.min(ALPHA2D_MAX, Math.max(0, Number((Math.round(a / ALPHA2D_STEP) * ALPHA2D_STEP).toFixed(2))));
    slider.value = String(alpha);
    out.textContent = alpha.toFixed(2);
    onAlpha(alpha);
    for (const p of panels) render(p, alpha);
    return solveLoop();
  };
  slider.addEventListener('input', () => void setAlpha(Number(slider.value)));
  void setAlpha(initialAlpha);

  return {
    element,
    panels: { l2: l2.state, l1: l1.state },
    setAlpha,
    settled: () => running,
    fromPx: (panel, x, y) => (panel === 'l2' ? l2 : l1).view.fromPx(x, y),
  };
}
