/** The page's settings in the address (#seed=1&layer=2&batch=32&mode=running), each cleaned to an allowed value. */
import { hashState } from '../shared/hash';
import type { StatsMode } from './forward';

/** The hash state and its cleaned starting values; `batches` are the sizes the slider offers. */
export function pageState(batches: readonly number[]) {
  const state = hashState({ seed: 1, layer: 2, batch: 32, mode: 'running' });
  const seed = Number.isInteger(state.value.seed) && state.value.seed >= 0 ? state.value.seed : 1;
  const layer = state.value.layer === 1 ? 1 : 2;
  const batch = batches.includes(state.value.batch) ? state.value.batch : 32;
  const mode: StatsMode = state.value.mode === 'batch' ? 'batch' : 'running';
  state.set({ seed, layer, batch, mode });
  return { state, seed, layer, batch, mode };
}
