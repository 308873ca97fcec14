/**
 * The filter factors of eqs. 7.40 and 7.13 against the eigenvalue λ (log axis): how much of wᵢ*
 * each method keeps along a direction of curvature λ. Early stopping after τ steps keeps
 * 1 − (1 − ελ)^τ, L2 keeps λ/(λ + α); with α = 1/(τε) the two curves nearly coincide: both keep the
 * stiff directions (λ ≫ α) and shrink the flat ones (λ ≪ α). The problem's own eigenvalues are marked.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { COLORS } from './plane';
import { earlyFactor, l2Factor } from './quadratic';

const LAMBDA_MIN = 1e-3;
const LAMBDA_MAX = 2;
const POINTS = 121;

/** The chart; `update(eps, tau)` redraws both curves and the markers. */
export function filterChart(
  parent: HTMLElement,
  eigenvalues: readonly number[],
  size: { width: number; height: number },
): { update(eps: number, tau: number): void } {
  const xs = Array.from({ length: POINTS }, (_, k) => LAMBDA_MIN * (LAMBDA_MAX / LAMBDA_MIN) ** (k / (POINTS - 1)));
  let state = { eps: 0.1, tau: 1 };
  const marks: uPlot.Plugin = {
    hooks: {
      draw: (u) => {
        const c = u.ctx;
        const dpr = uPlot.pxRatio;
        c.save();
        c.font = `${12 * dpr}px system-ui, sans-serif`;
        eigenvalues.forEach((l, i) => {
          const x = u.valToPos(l, 'x', true);
          c.strokeStyle = '#8c959f';
          c.setLineDash([3 * dpr, 3 * dpr]);
          c.lineWidth = dpr;
          c.beginPath();
          c.moveTo(x, u.bbox.top);
          c.lineTo(x, u.bbox.top + u.bbox.height);
          c.stroke();
          c.setLineDash([]);
          c.fillStyle = '#5b6573';
          c.fillText(`λ${i === 0 ? '₁' : '₂'}`, x + 4 * dpr, u.bbox.top + 14 * dpr);
          const alpha = 1 / (state.tau * state.eps);
          for (const [v, color] of [
            [earlyFactor(l, state.eps, state.tau), COLORS.early],
            [state.tau === 0 ? 0 : l2Factor(l, alpha), COLORS.l2],
          ] as const) {
            c.fillStyle = color;
            c.beginPath();
            c.arc(x, u.valToPos(v, 'y', true), 4 * dpr, 0, 2 * Math.PI);
            c.fill();
          }
        });
        c.restore();
      },
    },
  };
  const plot = new uPlot(
    {
      title: 'Fraction of wᵢ* kept, by curvature λ',
      legend: { live: false },
      width: size.width,
      height: size.height,
      plugins: [marks],
      scales: { x: { time: false, distr: 3 }, y: { range: [0, 1.02] } },
      axes: [{ label: 'eigenvalue λ (curvature)' }, { label: 'filter factor' }],
      series: [
        { label: 'λ' },
        { label: 'early stopping 1 − (1 − ελ)^τ', stroke: COLORS.early, width: 2.5 },
        { label: 'L2 λ/(λ + α), α = 1/(τε)', stroke: COLORS.l2, width: 2, dash: [6, 4] },
      ],
    },
    [xs, xs.map(() => 0), xs.map(() => 0)],
    parent,
  );
  return {
    update(eps, tau) {
      state = { eps, tau };
      const alpha = 1 / (tau * eps);
      plot.setData([xs, xs.map((l) => earlyFactor(l, eps, tau)), xs.map((l) => (tau === 0 ? 0 : l2Factor(l, alpha)))]);
    },
  };
}
