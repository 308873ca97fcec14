/**
 * The MNIST CNN recipe (engine/train/mnist-cnn.ts, MNIST_CNN_RECIPE) in CI, shortened: the full
 * recipe (20 epochs) takes about 10 minutes on lavapipe, more than the suite's budget, so the test
 * trains the first 3 of its 20 epochs (the same split, seed, network, optimizer, dropout and
 * augmentation; the learning rate drops only after epoch 15, so these epochs are the recipe's own)
 * and asserts a lower bar, derived from the MLP rather than
 * from this run: after those 3 epochs the CNN must classify the 2,000 held-out digits better than
 * the MLP recipe does after all of its 15 (95.95% measured here, tests/train/mnist.test.ts), i.e.
 * ≥ 96%. The README gives what the full recipe reached. The test's bar is a claim about the
 * model class (a small CNN learns MNIST in a fifth of the MLP's epochs), not a tuned constant: the
 * binomial standard error of an accuracy near 97% on 2,000 digits is 0.4 points.
 */
import { describe, expect, it } from 'vitest';
import { MNIST_CNN_RECIPE, trainMnistCnn } from '../../engine/train/mnist-cnn';
import { useRuntime } from '../helpers/gpu';

describe('MNIST CNN', () => {
  const rt = useRuntime();
  it('3 epochs of the CNN recipe beat the MLP recipe’s 15 (≥ 96% on the 2,000 held-out digits)', async () => {
    const report = await trainMnistCnn(rt(), { ...MNIST_CNN_RECIPE, epochs: 3 });
    expect(report.epochs.length).toBe(3);
    expect(report.heldOut.count).toBe(2000);
    expect(report.heldOut.accuracy).toBeGreaterThanOrEqual(0.96);
    // Learning, not a lucky start: the running training accuracy rises every epoch.
    for (let e = 1; e < 3; e++) expect(report.epochs[e].train.accuracy).toBeGreaterThan(report.epochs[e - 1].train.accuracy);
  }, 900_000);
});
