/**
 * One 2-D panel drawn on a canvas: the contours of J (ellipses around w*), the level set of the
 * penalty through the regularized optimum (a circle for L2, a diamond for L1: the two touch there,
 * the book's Figure 7.1), the closed-form optimum and its path as α grows, and the engine's solver
 * path and end point.
 */
import { eigenvectors, objective, type Quadratic, type Vec2 } from './quadratic';
import { hidpiCanvas } from '../shared/canvas';

/** Colours of the panel (the legend uses them too). */
export const PLANE_COLORS = {
  contour: '#b9cff5',
  contourAtOptimum: '#1f6feb',
  penalty: '#2da44e',
  regPath: '#8c959f',
  closedForm: '#d1242f',
  solver: '#f08c00',
  wStar: '#1b1f24',
} as const;

/** What one drawing shows. */
export interface PlaneScene {
  problem: Quadratic;
  penalty: 'l2' | 'l1';
  /** The closed-form optimum at the current α. */
  closedForm: Vec2;
  /** The closed-form optimum for α from 0 to the slider's maximum. */
  regPath: readonly Vec2[];
  /** The engine's iterates (null before its first solve). */
  solverPath: readonly Vec2[] | null;
}

/** A panel's canvas and its world ↔ pixel mapping. */
export interface PlaneView {
  readonly canvas: HTMLCanvasElement;
  draw(scene: PlaneScene): void;
  /** Canvas CSS pixel of a point (origin: the canvas's top-left corner). */
  toPx(w: Vec2): { x: number; y: number };
  /** The point at a canvas CSS pixel. */
  fromPx(x: number, y: number): Vec2;
}

/** The world window, the same on both panels so that they compare at a glance. */
const LO = -0.7;
const HI = 1.7;

/** A square panel of `size` CSS pixels. */
export function planeView(size: number): PlaneView {
  const { canvas, ctx } = hidpiCanvas(size, size, 'plane', 'planeView');
  const k = size / (HI - LO);
  const toPx = (w: Vec2): { x: number; y: number } => ({ x: (w[0] - LO) * k, y: size - (w[1] - LO) * k });
  const fromPx = (x: number, y: number): Vec2 => [x / k + LO, (size - y) / k + LO];

  const polyline = (pts: readonly Vec2[], close = false): void => {
    ctx.beginPath();
    pts.forEach((p, i) => {
      const q = toPx(p);
      if (i === 0) ctx.moveTo(q.x, q.y);
      else ctx.lineTo(q.x, q.y);
    });
    if (close) ctx.closePath();
    ctx.stroke();
  };

  /** The ellipse J(w) = c: w* + Q(√(2c/λ₁)·cos φ, √(2c/λ₂)·sin φ). */
  const contour = (q: Quadratic, c: number): Vec2[] => {
    const [[a, b], [cc, d]] = eigenvectors(q);
    const r1 = Math.sqrt((2 * c) / q.lambda[0]);
    const r2 = Math.sqrt((2 * c) / q.lambda[1]);
    return Array.from({ length: 97 }, (_, i): Vec2 => {
      const phi = (2 * Math.PI * i) / 96;
      const u = r1 * Math.cos(phi);
      const v = r2 * Math.sin(phi);
      return [q.wStar[0] + a * u + b * v, q.wStar[1] + cc * u + d * v];
    });
  };

  const label = (text: string, x: number, y: number, color: string, align: CanvasTextAlign = 'left'): void => {
    ctx.font = '12px system-ui, sans-serif';
    ctx.textAlign = align;
    ctx.fillStyle = color;
    ctx.fillText(text, x, y);
  };

  return {
    canvas,
    toPx,
    fromPx,
    draw(scene) {
      ctx.clearRect(0, 0, size, size);
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(0, 0, size, size);
      // Axes w₁ = 0 and w₂ = 0, with unit ticks.
      ctx.strokeStyle = '#d0d7de';
      ctx.lineWidth = 1;
      const o = toPx([0, 0]);
      ctx.beginPath();
      ctx.moveTo(0, o.y);
      ctx.lineTo(size, o.y);
      ctx.moveTo(o.x, 0);
      ctx.lineTo(o.x, size);
      ctx.stroke();
      for (const t of [-0.5, 0.5, 1, 1.5]) {
        const px = toPx([t, 0]);
        const py = toPx([0, t]);
        ctx.beginPath();
        ctx.moveTo(px.x, o.y - 3);
        ctx.lineTo(px.x, o.y + 3);
        ctx.moveTo(o.x - 3, py.y);
        ctx.lineTo(o.x + 3, py.y);
        ctx.stroke();
        label(String(t), px.x, o.y + 14, '#8c959f', 'center');
        label(String(t), o.x - 5, py.y + 4, '#8c959f', 'right');
      }
      label('w₁', size - 6, o.y - 6, '#5b6573', 'right');
      label('w₂', o.x + 6, 14, '#5b6573');

      // Contours of J.
      ctx.strokeStyle = PLANE_COLORS.contour;
      ctx.lineWidth = 1;
      for (const c of [0.02, 0.1, 0.25, 0.5, 0.85, 1.3, 1.9, 2.6]) polyline(contour(scene.problem, c), true);
      const jAt = objective(scene.problem, scene.closedForm);
      if (jAt > 1e-9) {
        ctx.strokeStyle = PLANE_COLORS.contourAtOptimum;
        ctx.lineWidth = 1.5;
        polyline(contour(scene.problem, jAt), true);
      }

      // The penalty's level set through w̃: ‖w‖₂ = ‖w̃‖₂ or ‖w‖₁ = ‖w̃‖₁.
      ctx.strokeStyle = PLANE_COLORS.penalty;
      ctx.lineWidth = 2;
      if (scene.penalty === 'l2') {
        const r = Math.hypot(scene.closedForm[0], scene.closedForm[1]);
        ctx.beginPath();
        ctx.arc(o.x, o.y, r * k, 0, 2 * Math.PI);
        ctx.stroke();
      } else {
        const r = Math.abs(scene.closedForm[0]) + Math.abs(scene.closedForm[1]);
        polyline(
          [
            [r, 0],
            [0, r],
            [-r, 0],
            [0, -r],
          ],
          true,
        );
      }

      // The closed-form optimum as α runs over the slider's range.
      ctx.strokeStyle = PLANE_COLORS.regPath;
      ctx.lineWidth = 1.5;
      ctx.setLineDash([4, 4]);
      polyline(scene.regPath);
      ctx.setLineDash([]);

      // w*.
      const s = toPx(scene.problem.wStar);
      ctx.strokeStyle = PLANE_COLORS.wStar;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(s.x - 5, s.y - 5);
      ctx.lineTo(s.x + 5, s.y + 5);
      ctx.moveTo(s.x - 5, s.y + 5);
      ctx.lineTo(s.x + 5, s.y - 5);
      ctx.stroke();
      label('w*', s.x + 7, s.y - 6, PLANE_COLORS.wStar);

      // The engine's path: dots at the iterates read back.
      if (scene.solverPath) {
        ctx.strokeStyle = PLANE_COLORS.solver;
        ctx.lineWidth = 1.5;
        polyline(scene.solverPath);
        ctx.fillStyle = PLANE_COLORS.solver;
        for (const p of scene.solverPath) {
          const q = toPx(p);
          ctx.beginPath();
          ctx.arc(q.x, q.y, 2, 0, 2 * Math.PI);
          ctx.fill();
        }
        const start = toPx(scene.solverPath[0]);
        label('start', start.x + 4, start.y + 14, PLANE_COLORS.solver);
      }

      // The closed form: a red ring; the solver's end point, if it is there, is the orange dot inside it.
      const c = toPx(scene.closedForm);
      ctx.strokeStyle = PLANE_COLORS.closedForm;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(c.x, c.y, 7, 0, 2 * Math.PI);
      ctx.stroke();
      if (scene.solverPath) {
        const f = toPx(scene.solverPath[scene.solverPath.length - 1]);
        ctx.fillStyle = PLANE_COLORS.solver;
        ctx.beginPath();
        ctx.arc(f.x, f.y, 3.5, 0, 2 * Math.PI);
        ctx.fill();
      }
      label('w̃', c.x - 10, c.y - 9, PLANE_COLORS.closedForm, 'right');
    },
  };
}
