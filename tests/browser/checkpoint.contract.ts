/** What the checkpoint page (checkpoint.page.ts) reports to the Node test (checkpoint.test.ts). */

/** Everything a checkpoint covers, as bit patterns (tests/io/train-helper.ts `fullState`). */
export interface StateBits {
  params: Record<string, number[]>;
  buffers: Record<string, number[]>;
  slots: Record<string, number[]>;
  steps: number | undefined;
}

/** The IndexedDB key the page stores its checkpoint under, and the download's file name. */
export const CHECKPOINT_KEY = 'e2e-run';
export const DOWNLOAD_NAME = 'e2e-run.safetensors';

/** `?phase=save`: trained, stored, downloaded. */
export interface SaveReport {
  phase: 'save';
  adapter: string;
  state: StateBits;
  /** Length and FNV-1a digest of the checkpoint's bytes. */
  bytes: number;
  digest: string;
  /** The clicked anchor's `download` attribute and whether its href was a blob: URL. */
  download: { name: string; blobUrl: boolean };
  storedKeys: string[];
}

/** `?phase=load` (a new page load): a fresh model in another state, then the stored checkpoint loaded into it. */
export interface LoadReport {
  phase: 'load';
  before: StateBits;
  after: StateBits;
  step: number | undefined;
  bytes: number;
  digest: string;
  /** Keys left after deleting the stored checkpoint. */
  keysAfterDelete: string[];
  /** What loading a truncated copy said (the stored one is untouched). */
  truncatedError: string;
  afterRefusal: StateBits;
}
