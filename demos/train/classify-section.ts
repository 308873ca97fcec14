/**
 * "2 · Draw a digit": the pad and its classification by weight scaling and by Monte-Carlo dropout
 * (N masks in one batch), a held-out digit on demand, and the rotation sweep. Requests to classify
 * made while one runs (a stroke, the rotate slider) merge into the next run.
 */
import type { JobQueue } from '../shared/jobs';
import { drawPanel } from './draw-panel';
import { classify, type Classification } from './infer';
import { mnistCentre } from './pad';
import type { RunSection } from './run-section';
import { hasDropout } from './settings';

/** Angles of the rotation sweep (degrees) and its masks per angle. */
const SWEEP_ANGLES = Array.from({ length: 13 }, (_, i) => -90 + 15 * i);
const SWEEP_SAMPLES = 64;

/** A classification as the test hook shows it (plain arrays). */
export interface PredictionHook {
  top: number;
  weightScaling: number[];
  mcMean: number[];
  mcStd: number[];
  samples: number;
  angle: number;
}

/** What the test hook reads about the pad. */
export interface ClassifyHook {
  /** Classifications finished, and whether one is pending. */
  classified: number;
  classifying: boolean;
  prediction: PredictionHook | null;
  /** The MC spread of the top class and the predictive entropy (bits); NaN for a blank pad. */
  spread: number;
  entropy: number;
  sweeps: number;
}

/** What the section needs from the page. */
export interface ClassifyOptions {
  root: HTMLElement;
  run: () => RunSection;
  queue: JobQueue;
  expose(f: Partial<ClassifyHook>): void;
  fail(e: unknown): void;
  /** Opens the Source tab at the lines that key a mask. */
  showMaskSource(): void;
}

/** The section as main wires it. */
export interface ClassifySection {
  /** Classifies the pad (merged with requests already pending); resolves with the result, null for a blank pad or a failure. */
  schedule(): Promise<Classification | null>;
  /** Puts the next held-out digit on the pad. */
  showHeldOutDigit(): void;
  /** Puts `pixels` (28×28, 0…1) on the pad and classifies them. */
  drawDigit(pixels: ArrayLike<number>): Promise<Classification | null>;
  /** Shows `n` as the number of masks (after a restart applied settings). */
  showSamples(n: number): void;
}

export function classifySection(o: ClassifyOptions, samples: number): ClassifySection {
  const { queue, expose, fail } = o;
  const draw = drawPanel(
    o.root,
    samples,
    {
      changed: () => void schedule(),
      heldOutDigit: () => showHeldOutDigit(),
      sweep: () => void runSweep().catch(fail),
      samples: (n) => {
        o.run().setSamples(n);
        void schedule();
      },
    },
    o.showMaskSource,
  );

  let queued = false;
  let running = false;
  let classified = 0;
  let sweeps = 0;
  const waiters: ((c: Classification | null) => void)[] = [];
  const schedule = (): Promise<Classification | null> => {
    const p = new Promise<Classification | null>((resolve) => waiters.push(resolve));
    queued = true;
    expose({ classifying: true });
    if (!running) void loop();
    return p;
  };
  const prepared = (): Float32Array => (draw.centre ? mnistCentre(draw.pad.pixels) : draw.pad.pixels.slice());
  const loop = async (): Promise<void> => {
    running = true;
    let mine: ((c: Classification | null) => void)[] = [];
    try {
      while (queued) {
        queued = false;
        mine = waiters.splice(0);
        const input = prepared();
        const blank = !input.some((v) => v > 0);
        const run = o.run();
        const c = blank ? null : await queue(() => classify(run.trainer.model, input, draw.angle, run.settings.mc));
        draw.show(c, hasDropout(o.run().trainer.settings));
        classified++;
        expose({
          prediction: c && { top: c.top, weightScaling: [...c.weightScaling], mcMean: [...c.mcMean], mcStd: [...c.mcStd], samples: c.samples, angle: c.angle },
          spread: c ? c.mcStd[c.top] : NaN,
          entropy: c ? c.entropy : NaN,
          classified,
        });
        for (const w of mine) w(c);
      }
    } catch (e) {
      fail(e);
      for (const w of [...mine, ...waiters.splice(0)]) w(null);
    } finally {
      running = false;
      expose({ classifying: false });
    }
  };

  let heldOutIndex = 0;
  const showHeldOutDigit = (): void => {
    const { valImages, valLabels } = o.run().data;
    const i = heldOutIndex++ % valLabels.length;
    draw.pad.set(valImages.subarray(i * 784, (i + 1) * 784));
    draw.note(`Held-out digit #${i}, labelled ${valLabels[i]}. Draw over it or Clear to draw your own.`);
    void schedule();
  };

  const runSweep = async (): Promise<void> => {
    const input = prepared();
    if (!input.some((v) => v > 0)) {
      draw.note('Draw a digit first: the sweep turns the drawing.');
      return;
    }
    draw.sweepButton.disabled = true;
    try {
      const angles: number[] = [];
      const entropy: number[] = [];
      const spread: number[] = [];
      const top: number[] = [];
      for (const deg of SWEEP_ANGLES) {
        const c = await queue(() => classify(o.run().trainer.model, input, (deg * Math.PI) / 180, SWEEP_SAMPLES));
        angles.push(deg);
        entropy.push(c.entropy);
        spread.push(c.mcStd[c.top]);
        top.push(c.mcMean[c.top]);
        draw.sweep.set(angles, entropy, spread, top);
      }
      sweeps++;
      expose({ sweeps });
    } finally {
      draw.sweepButton.disabled = false;
    }
  };

  expose({ classified: 0, classifying: false, prediction: null, spread: NaN, entropy: NaN, sweeps: 0 });
  return {
    schedule,
    showHeldOutDigit,
    drawDigit(pixels) {
      draw.pad.set(pixels);
      return schedule();
    },
    showSamples(n) {
      draw.mcSelect.value = String(n);
    },
  };
}
