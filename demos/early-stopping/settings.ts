/**
 * The page's settings in the URL hash (`#seed=1&patience=8&evalEvery=10&eps=0.1&tau=20`), each put
 * back in its range when the page opens, so that a shared link reproduces the view.
 */
import { hashState, type HashState } from '../shared/hash';

/** Steps of gradient descent the GPU runs on the quadratic (the τ scrubber's range). */
export const TAU_MAX = 200;
export const EPS_CHOICES = [0.02, 0.05, 0.1, 0.2, 0.5];
export const EVAL_CHOICES = [5, 10, 20, 50];

/** What the hash holds: the MNIST run's settings (part 1) and the quadratic's (part 2). */
export type Settings = {
  seed: number;
  patience: number;
  evalEvery: number;
  eps: number;
  tau: number;
};

/** `v` if it is an integer, clamped to [lo, hi]; `dflt` otherwise. */
export const clampInt = (v: number, lo: number, hi: number, dflt: number): number => (Number.isInteger(v) ? Math.min(hi, Math.max(lo, v)) : dflt);

/** The hash's settings over the defaults, each checked against its range (and written back). */
export function pageSettings(): HashState<Settings> {
  const state = hashState<Settings>({ seed: 1, patience: 8, evalEvery: 10, eps: 0.1, tau: 20 });
  state.set({
    seed: clampInt(state.value.seed, 0, 1e6, 1),
    patience: clampInt(state.value.patience, 1, 30, 8),
    evalEvery: EVAL_CHOICES.includes(state.value.evalEvery) ? state.value.evalEvery : 10,
    eps: EPS_CHOICES.includes(state.value.eps) ? state.value.eps : 0.1,
    tau: clampInt(state.value.tau, 1, TAU_MAX, 20),
  });
  return state;
}
