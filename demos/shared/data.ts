/**
 * The MNIST preamble pages share: a "Loading…" note while the digits download, the seeded split, and
 * the train / validation / test sets uploaded to the GPU.
 */
import { GpuDataset, type MnistSplit, type Runtime, type SplitOptions } from '../../engine/index';
import { loadDigits } from './digits';
import { el } from './dom';

export interface PageDigits {
  split: MnistSplit;
  train: GpuDataset;
  val: GpuDataset;
  /** Only when the split asked for test digits. */
  test?: GpuDataset;
}

/** Shows a loading note in `root`, loads and splits the digits, uploads them, removes the note. */
export async function loadPageDigits(rt: Runtime, root: HTMLElement, opts: SplitOptions): Promise<PageDigits> {
  const loading = el('p', 'note', 'Loading the MNIST digits…');
  root.append(loading);
  try {
    const split = await loadDigits(opts);
    const upload = (s: MnistSplit['train']): GpuDataset => GpuDataset.upload(rt, s.images, s.labels, 10);
    const out: PageDigits = { split, train: upload(split.train), val: upload(split.val) };
    if (split.test.labels.length > 0) out.test = upload(split.test);
    return out;
  } finally {
    loading.remove();
  }
}
