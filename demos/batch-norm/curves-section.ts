/**
 * Panel 3: the training curves of both networks: the minibatch loss of every step (training mode)
 * and the held-out accuracy (inference mode), measured when asked.
 */
import type { GpuDataset, Metrics } from 'webgpu-regularization';
import { el, pct, setHtml } from '../shared/dom';
import { evaluateIn } from './forward';
import { COLORS } from './histograms';
import { lines } from './lines';
import { KINDS, type PairStep, type PairTrainer } from './trainer';

/** The panel and what the page reads from it. */
export interface CurvesSection {
  readonly element: HTMLElement;
  /** The last held-out accuracies, once measured. */
  readonly heldOut: { plain: number; bn: number } | undefined;
  /** Adds a step's minibatch losses. */
  addStep(r: PairStep): void;
  /** Measures both networks on `val` (running statistics) at the trainer's step. */
  evalHeldOut(): Promise<void>;
}

/** Builds the panel for the trainer's two networks, scored on `val`. */
export function curvesSection(trainer: PairTrainer, val: GpuDataset): CurvesSection {
  const element = el('div', 'panel curves-panel');
  const series = KINDS.map((k) => ({ label: k === 'bn' ? 'with BN' : 'without', color: COLORS[k] }));
  const lossChart = lines(element, 'Minibatch loss (training mode)', series, { width: 400, height: 200, xLabel: 'step' });
  const accChart = lines(element, 'Held-out accuracy (inference mode)', series, { width: 400, height: 200, xLabel: 'step', yRange: [0, 1] });
  const note = el('p', 'note');
  element.append(note);
  const lossXs: number[] = [];
  const lossYs: number[][] = [[], []];
  const accXs: number[] = [];
  const accYs: number[][] = [[], []];
  let heldOut: { plain: number; bn: number } | undefined;
  return {
    element,
    get heldOut() {
      return heldOut;
    },
    addStep(r) {
      lossXs.push(r.step);
      KINDS.forEach((k, i) => lossYs[i].push(r[k].loss));
      lossChart.set(lossXs, lossYs);
    },
    async evalHeldOut() {
      const ms: Metrics[] = [];
      for (const k of KINDS) ms.push(await evaluateIn(trainer.models[k], val, 256, 'running'));
      accXs.push(trainer.step);
      ms.forEach((m, i) => accYs[i].push(m.accuracy));
      accChart.set(accXs, accYs);
      heldOut = { plain: ms[0].accuracy, bn: ms[1].accuracy };
      setHtml(
        note,
        `After ${trainer.step} steps: held-out accuracy <b style="color:${COLORS.plain}">${pct(ms[0].accuracy)}</b> without batch norm, <b style="color:${COLORS.bn}">${pct(ms[1].accuracy)}</b> with it (${val.count.toLocaleString('en-US')} digits never trained on; batch norm on its running statistics). Same initial weights, same minibatches, same learning rate.`,
      );
    },
  };
}
