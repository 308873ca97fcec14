/** The batch-norm page's test hook (`window.__demo`): what tests/browser/concept-batch-norm.test.ts reads. */
import type { StatsMode } from './forward';
import type { CellSummary } from './histograms';
import type { InferenceReport } from './inference';
import type { ShortRunResult } from './short-run';
import type { SpreadAt } from './spread-section';
import type { PairStep } from './trainer';

export interface Hook {
  /** Steps trained. */
  stepCount: number;
  /** The step of the activations the histograms show. */
  activationsStep: number;
  /** The last step's minibatch loss and accuracy of both networks. */
  lastStep: PairStep;
  /** What each histogram shows: [network (plain, bn)][shown unit]. */
  cells: CellSummary[][] | undefined;
  /** The last held-out accuracies of both networks. */
  heldOut: { plain: number; bn: number } | undefined;
  mode: StatsMode;
  /** The inference panel's report, and how many were shown. */
  inference: InferenceReport | undefined;
  inferenceVersion: number;
  /** The slider's batch size when the spread was last drawn, the spread at it, and how many were drawn. */
  batchSize: number | undefined;
  spread: SpreadAt | undefined;
  spreadVersion: number;
  shortRuns: ShortRunResult[];
  shortRunning: boolean;
  step(): Promise<void>;
  /** Resolves when no step or refresh is running. */
  idle(): Promise<void>;
  setMode(m: StatsMode): Promise<void>;
  setBatchSize(b: number): Promise<void>;
  runShort(): Promise<ShortRunResult>;
}
