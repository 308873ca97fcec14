/**
 * Part 2: why early stopping is L2, on a 2-D quadratic. The engine runs gradient descent from 0 on
 * the GPU once per learning rate; a τ scrubber shows w⁽τ⁾ beside the L2 path at α = 1/(τε), the
 * filter factors of eqs. 7.40 and 7.13 per direction, a table with the exact αᵢ of eq. 7.43 against
 * the bound of eqs. 7.44–7.45, and the GPU's point against eq. 7.40 in f64.
 */
import type { Runtime } from 'webgpu-regularization';
import { el, html, setHtml } from '../shared/dom';
import type { HashState } from '../shared/hash';
import { jobQueue } from '../shared/jobs';
import { descentOnGpu } from './descent';
import { filterChart } from './filters';
import { COLORS, weightPlane } from './plane';
import {
  alphaCheck,
  earlyFactor,
  earlyStoppedW,
  equivalentAlpha,
  l2Factor,
  makeQuadratic,
  toEigenbasis,
  trajectoryBound,
  type AlphaCheck,
  type Vec2,
} from './quadratic';
import { clampInt, EPS_CHOICES, type Settings, TAU_MAX } from './settings';

/** What the test hook reads about the quadratic at the current ε and τ. */
export interface QuadState {
  eps: number;
  tau: number;
  gpuW: Vec2;
  closedW: Vec2;
  maxDiff: number;
  bound: number;
  lambda: Vec2;
  zStar: Vec2;
  gpuZ: Vec2;
  l2AtAlphaZ: number[];
  checks: AlphaCheck[];
  alpha: number;
}

/** The section's element; `ready` resolves once the first trajectory is drawn. */
export interface QuadraticSection {
  readonly element: HTMLElement;
  readonly ready: Promise<void>;
}

/** A number with `digits` decimals, ∞ when it is not finite. */
const fixedOrInf = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : '∞');
/** A small difference in scientific notation, one decimal. */
const sci = (x: number): string => x.toExponential(1);

/**
 * Builds the section; `onState` receives the hook's fields after each redraw (`quad`) and after each
 * new trajectory (`trajectoryVersion`, counting them).
 */
export function quadraticSection(
  rt: Runtime,
  state: HashState<Settings>,
  onState: (s: { quad?: QuadState; trajectoryVersion?: number }) => void,
  onError: (e: unknown) => void,
): QuadraticSection {
  const element = el('div', 'panel es-section');
  element.append(
    el('h2', undefined, '2 · Why: on a quadratic, stopping after τ steps is L2 with α ≈ 1/(τε)'),
    html(
      'p',
      'note',
      "Near a minimum the cost is close to J(w) = ½(w − w*)ᵀH(w − w*) with H = QΛQᵀ. Gradient descent from w = 0 with learning rate ε moves along each eigenvector qᵢ of H on its own: after τ steps it has covered the fraction 1 − (1 − ελᵢ)^τ of the way to w* (eq. 7.40). L2 regularization keeps the fraction λᵢ/(λᵢ + α) (eq. 7.13). Both keep stiff directions (large λ) and shrink flat ones. For each direction some αᵢ matches exactly (eq. 7.43), and where ελᵢ and λᵢ/α are small, αᵢ ≈ 1/(τε) (eqs. 7.44–7.45): the flat direction q₂ follows the L2 curve closely, the stiff q₁ only once τ is small. Here H has λ = 1 and 0.1; the blue trajectory is computed <b>on the GPU</b> by the engine's fused optimizer. Drag τ.",
    ),
  );
  const bar = el('div', 'topbar');
  const tauInput = el('input');
  Object.assign(tauInput, { type: 'range', min: '1', max: String(TAU_MAX), step: '1', value: String(state.value.tau), id: 'tau' });
  const tauOut = el('output');
  const tauLabel = el('label');
  tauLabel.append('steps τ', tauInput, tauOut);
  const epsSelect = el('select');
  epsSelect.id = 'eps';
  for (const e of EPS_CHOICES) epsSelect.append(new Option(String(e), String(e), false, e === state.value.eps));
  const epsLabel = el('label');
  epsLabel.append('learning rate ε', epsSelect);
  const alphaText = el('span');
  bar.append(tauLabel, epsLabel, alphaText);
  const q = makeQuadratic();
  const row = el('div', 'quad-row');
  const left = el('div');
  const plane = weightPlane(q, 380);
  left.append(
    plane.canvas,
    html(
      'div',
      'legend',
      `<span><span class="swatch" style="background:${COLORS.early}"></span>gradient descent from 0, steps up to τ (GPU)</span><span><span class="swatch" style="background:${COLORS.l2}"></span>L2 path w̃(α), α from ∞ to 0; ring: α = 1/(τε)</span><span>✕ w*, the unregularized optimum; ellipses: contours of J</span>`,
    ),
  );
  const right = el('div', 'quad-right');
  const filters = filterChart(right, q.lambda, { width: 500, height: 250 });
  const table = el('table', 'quad-table');
  const agree = el('p', 'agree');
  right.append(table, agree);
  row.append(left, right);
  element.append(bar, row);

  let trajectory: Float32Array = new Float32Array(2 * (TAU_MAX + 1));
  let trajectoryEps = NaN;
  let version = 0;
  // One GPU run per learning rate: going back to an ε already seen redraws at once.
  const computed = new Map<number, Float32Array>();
  onState({ trajectoryVersion: version });

  const render = (): void => {
    const { eps, tau } = state.value;
    const alpha = 1 / (tau * eps);
    tauOut.textContent = String(tau);
    setHtml(alphaText, `α = 1/(τε) = <b>${fixedOrInf(alpha, 3)}</b>`);
    plane.draw({ trajectory, tau, alpha });
    filters.update(eps, tau);
    const gpuW: Vec2 = [trajectory[2 * tau], trajectory[2 * tau + 1]];
    const closedW = earlyStoppedW(q, eps, tau);
    const maxDiff = Math.max(Math.abs(gpuW[0] - closedW[0]), Math.abs(gpuW[1] - closedW[1]));
    const bound = trajectoryBound(q, eps, tau);
    const gpuZ = toEigenbasis(q, gpuW);
    const checks: AlphaCheck[] = q.lambda.map((l) => alphaCheck(l, eps, tau));
    // Eq. 7.42 at eq. 7.43's αᵢ, component i: what L2 would have to use to match direction i exactly.
    const l2AtAlphaZ = q.lambda.map((l, i) => l2Factor(l, equivalentAlpha(l, eps, tau)) * q.zStar[i]);
    const rows = q.lambda
      .map((l, i) => {
        const c = checks[i];
        const mark = c.within ? '<span class="ok">✓</span>' : '<span class="bad">✗</span>';
        const boundText = c.applies
          ? `[${c.lower.toFixed(3)}, 0] ${mark}`
          : `≥ ${c.lower.toFixed(2)} ${mark} <span class="note">(τελ = ${(tau * eps * l).toFixed(1)}: not small)</span>`;
        return `<tr><td>q${i === 0 ? '₁' : '₂'}</td><td>${l.toFixed(2)}</td><td>${(eps * l).toFixed(3)}</td><td style="color:${COLORS.early}">${earlyFactor(l, eps, tau).toFixed(4)}</td><td style="color:${COLORS.l2}">${l2Factor(l, alpha).toFixed(4)}</td><td>${fixedOrInf(c.alpha, 4)}</td><td>${c.rel.toFixed(4)}</td><td>${boundText}</td><td>${sci(Math.abs(gpuZ[i] - l2AtAlphaZ[i]))}</td></tr>`;
      })
      .join('');
    setHtml(
      table,
      `<thead><tr><th>dir.</th><th>λᵢ</th><th>ελᵢ</th><th>kept, early stop</th><th>kept, L2 at 1/(τε)</th><th>exact αᵢ (7.43)</th><th>αᵢτε − 1</th><th>bound (7.44–45)</th><th>|GPU zᵢ − L2(αᵢ) zᵢ|</th></tr></thead><tbody>${rows}</tbody>`,
    );
    const ok = maxDiff <= bound;
    setHtml(
      agree,
      `On the GPU (<code>chain(sgd({ lr: ${eps} }))</code> over a ParamArena, gradient from the tape): w⁽${tau}⁾ = (${gpuW[0].toFixed(5)}, ${gpuW[1].toFixed(5)}). Eq. 7.40 in f64: (${closedW[0].toFixed(5)}, ${closedW[1].toFixed(5)}). Largest difference ${sci(maxDiff)} ${ok ? '<span class="ok">✓</span> within' : '<span class="bad">✗</span> outside'} the f32 rounding bound ${sci(bound)}. With the exact αᵢ of eq. 7.43 (one per direction: a single α matches only approximately), L2's solution agrees with the early-stopped weights component by component (last column).`,
    );
    onState({ quad: { eps, tau, gpuW, closedW, maxDiff, bound, lambda: q.lambda, zStar: q.zStar, gpuZ, l2AtAlphaZ, checks, alpha } });
  };

  // One trajectory computation at a time, in the order the learning rates were picked.
  const queue = jobQueue();
  const ensureTrajectory = (): Promise<void> =>
    queue(async () => {
      const eps = state.value.eps;
      if (eps === trajectoryEps) return;
      let t = computed.get(eps);
      if (!t) {
        t = await descentOnGpu(rt, q, eps, TAU_MAX);
        computed.set(eps, t);
      }
      trajectory = t;
      trajectoryEps = eps;
      onState({ trajectoryVersion: ++version });
    }).then(render);
  tauInput.addEventListener('input', () => {
    state.set({ tau: clampInt(Number(tauInput.value), 1, TAU_MAX, 20) });
    if (trajectoryEps === state.value.eps) render();
  });
  epsSelect.addEventListener('change', () => {
    state.set({ eps: Number(epsSelect.value) });
    void ensureTrajectory().catch(onError);
  });

  return { element, ready: ensureTrajectory() };
}
