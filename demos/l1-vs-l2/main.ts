/**
 * L1 vs L2. First the 2-D quadratic of chapter 7.1: contours of J, the penalty's level sets, the
 * regularized optimum from the book's closed forms (eq. 7.13 for L2, eq. 7.23 for L1 with a
 * diagonal H) as α moves, and the engine's chain optimizer solving the same problem on the GPU
 * beside it. Then an MLP on MNIST trained with L1, switchable between proximal and subgradient
 * while it trains: exact zeros over time, a weight histogram, the first layer's weights as images.
 * Last, the 2-D picture on two real weights of that network: its loss on a grid, evaluated on the GPU.
 *
 * Test hook (`window.__demo`): ready; plane.l2 / plane.l1 (alpha, closedForm, drawn, solverAlpha,
 * solver, distance); setAlpha2d(a) (resolves when solved), plane2dSettled(); planeFromPx(panel, x, y);
 * mnist(): { step, method, alpha, zerosFc1, zerosAll, weightCount, history, heldOutAccuracy };
 * trainSteps(n) (ticks of STEPS_PER_TICK steps, paused), setMethod(m), setLogAlpha(e);
 * surface() (the last LossSurface), surfacePicks(), pickWeight(which, param, row, col),
 * computeSurface(), weightBits() (every parameter's f32 bits, for a bit-for-bit comparison).
 */
import { loadPageDigits } from '../shared/data';
import { hashState } from '../shared/hash';
import { jobQueue } from '../shared/jobs';
import { mountPage } from '../shared/page';
import { bySize, pageSizes } from '../shared/sizes';
import type { L1Method } from './l1-trainer';
import { meta } from './meta';
import { mnistSection, STEPS_PER_TICK, type ZeroPoint } from './mnist-section';
import { SurfaceEvaluator, type LossSurface, type WeightPick } from './loss-surface';
import { planeSection, type PanelState } from './plane-section';
import type { Vec2 } from './quadratic';
import { surfaceSection } from './surface-section';
import { SOURCES } from './sources';
import './page.css';

/** The fields tests/browser/concept-l1-vs-l2.test.ts reads. */
interface Hook {
  plane: { l2: PanelState; l1: PanelState };
  setAlpha2d(a: number): Promise<void>;
  plane2dSettled(): Promise<void>;
  planeFromPx(panel: 'l2' | 'l1', x: number, y: number): Vec2;
  stepsPerTick: number;
  mnist(): {
    step: number;
    method: L1Method;
    alpha: number;
    zerosFc1: number | null;
    zerosAll: number | null;
    weightCount: number | null;
    history: readonly ZeroPoint[];
    heldOutAccuracy: number | null;
  };
  trainSteps(ticks: number): Promise<void>;
  surface(): LossSurface | null;
  surfacePicks(): [WeightPick, WeightPick];
  pickWeight(which: 0 | 1, param: string, row: number, col: number): void;
  computeSurface(): Promise<LossSurface>;
  /** All parameter values as their f32 bit patterns (queued behind training), to compare bit for bit. */
  weightBits(): Promise<number[]>;
  setMethod(m: L1Method): void;
  setLogAlpha(e: number): void;
}

void mountPage<Hook>(meta, SOURCES, async ({ rt, root, hook, expose, fail }) => {
  // Software adapters (SwiftShader in headless Chromium) get the small network; `?sizes=` overrides.
  const sizes = pageSizes(rt);
  const small = sizes === 'small';
  const state = hashState({ a: 0.8, method: 'proximal', la: -2, seed: 1 });
  const method: L1Method = state.value.method === 'subgradient' ? 'subgradient' : 'proximal';
  const seed = Number.isInteger(state.value.seed) && state.value.seed >= 0 ? state.value.seed : 1;

  // Every GPU job of the page runs one after another (the 2-D solves, training ticks, readbacks).
  const serial = jobQueue();

  const plane = planeSection(rt, Number.isFinite(state.value.a) ? state.value.a : 0.8, serial, (a) => state.set({ a }), fail);
  root.append(plane.element);

  const { split, train, val } = await loadPageDigits(rt, root, { train: bySize(sizes, 1000, 5000), val: 500, test: 0, seed: 1 });
  const logAlpha = Number.isFinite(state.value.la) ? state.value.la : -2;
  const mnist = mnistSection(
    rt,
    { train, val },
    { hidden: bySize(sizes, 32, 64), batch: 50, seed, lr: 0.1, alpha: 10 ** logAlpha, method },
    serial,
    (s) => state.set({ method: s.method, la: s.logAlpha }),
    fail,
  );
  root.append(mnist.element);

  // Two real weights' loss surface: 11 × 11 on 256 digits on a software adapter (on demand and when
  // paused), 15 × 15 on 1,000 digits on a GPU (also after every training tick).
  const evaluator = SurfaceEvaluator.create(rt, mnist.trainer.model, split.train.images, split.train.labels, bySize(sizes, 256, 1000));
  const surface = surfaceSection(
    evaluator,
    { size: bySize(sizes, 11, 15), spread: 4, hidden: bySize(sizes, 32, 64), step: () => mnist.trainer.step, alpha: () => mnist.trainer.alpha },
    serial,
    fail,
  );
  root.append(surface.element);
  mnist.onImagePick = (pixel, unit) => surface.pickNext({ param: 'fc1.weight', row: pixel, col: unit });
  mnist.onTick = () => {
    if (!small) surface.refresh();
  };
  mnist.controls.element.querySelector('button[data-role=pause]')?.addEventListener('click', () => surface.refresh());
  surface.refresh();

  expose({
    plane: plane.panels,
    setAlpha2d: (a) => plane.setAlpha(a),
    plane2dSettled: () => plane.settled(),
    planeFromPx: (panel, x, y) => plane.fromPx(panel, x, y),
    stepsPerTick: STEPS_PER_TICK,
    mnist: () => ({
      step: mnist.trainer.step,
      method: mnist.trainer.method,
      alpha: mnist.trainer.alpha,
      zerosFc1: mnist.last?.zerosFc1 ?? null,
      zerosAll: mnist.last?.zerosAll ?? null,
      weightCount: mnist.last?.weightCount ?? null,
      history: mnist.history,
      heldOutAccuracy: mnist.heldOutAccuracy,
    }),
    trainSteps: async (ticks) => {
      mnist.controls.pause();
      await mnist.controls.idle();
      for (let i = 0; i < ticks; i++) await mnist.controls.stepOnce();
    },
    surface: () => surface.last,
    surfacePicks: () => surface.picks,
    pickWeight: (which, param, row, col) => surface.pick(which, { param, row, col }),
    computeSurface: () => surface.compute(),
    weightBits: () => serial(async () => Array.from(new Uint32Array((await evaluator.values()).buffer))),
    setMethod: (m) => mnist.setMethod(m),
    setLogAlpha: (e) => mnist.setLogAlpha(e),
  });
  await plane.settled();
  hook.ready = true;
});
