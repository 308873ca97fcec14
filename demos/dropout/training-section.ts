/**
 * The training panel: the minibatch loss of every step (dropout on) and the held-out accuracy every
 * EVAL_EVERY steps (dropout off), with a note on what is measured how.
 */
import { liveChart } from '../shared/charts';
import { el, pct } from '../shared/dom';
import type { DropoutTrainer } from './trainer';

/** Held-out accuracy is measured every this many steps. */
const EVAL_EVERY = 25;

/** What the test hook reads about training. */
export interface TrainingHook {
  lastLoss: number;
  heldOutAccuracy: number;
}

/** The panel and the two things it does with a trainer. */
export interface TrainingSection {
  readonly element: HTMLElement;
  /** One training step of `t`, plotted (and a held-out point every EVAL_EVERY steps). */
  step(t: DropoutTrainer): Promise<void>;
  /** Measures and plots `t`'s held-out accuracy. */
  heldOut(t: DropoutTrainer): Promise<void>;
  /** Empties both charts (a new run). */
  clear(): void;
}

/** Builds the panel; `describe` says how the model trains (batch, optimizer, digits). */
export function trainingSection(describe: string, expose: (f: Partial<TrainingHook>) => void): TrainingSection {
  const element = el('div', 'panel charts-panel');
  element.append(el('h2', undefined, 'Training'));
  const row = el('div', 'row');
  element.append(row);
  const lossChart = liveChart(row, 'Minibatch loss', 'step', [{ label: 'loss', color: '#1f6feb' }], { width: 300, height: 190 });
  const accChart = liveChart(row, 'Held-out accuracy', 'step', [{ label: 'accuracy', color: '#2da44e' }], { width: 300, height: 190 }, [0, 1]);
  const note = el('p', 'note');
  element.append(note);
  let loss = { xs: [] as number[], ys: [] as number[] };
  let acc = { xs: [] as number[], ys: [] as number[] };

  const heldOut = async (t: DropoutTrainer): Promise<void> => {
    const m = await t.heldOut();
    acc.xs.push(t.step);
    acc.ys.push(m.accuracy);
    accChart.set(acc.xs, [acc.ys]);
    expose({ heldOutAccuracy: m.accuracy });
    note.textContent = `Held-out accuracy ${pct(m.accuracy)} after ${t.step} steps, on 1,000 digits never trained on, with dropout off (inverted dropout needs no rescaling at inference). The minibatch loss is measured with dropout on. ${describe}`;
  };
  return {
    element,
    heldOut,
    async step(t) {
      const r = await t.trainStep();
      loss.xs.push(r.step);
      loss.ys.push(r.loss);
      lossChart.set(loss.xs, [loss.ys]);
      expose({ lastLoss: r.loss });
      if (t.step % EVAL_EVERY === 0) await heldOut(t);
    },
    clear() {
      loss = { xs: [], ys: [] };
      acc = { xs: [], ys: [] };
      lossChart.clear();
      accChart.clear();
    },
  };
}
