/** What the browser page (kernels-page.ts) reports to the Node test (e2e.test.ts). */
import type { AdapterDescription } from '../../engine/index';

/** The lengths the page runs (the same as the Node kernel tests). */
export const E2E_LENGTHS = [1, 3, 64, 1000, 65537, (1 << 20) + 3];

/** One kernel result: a digest of an elementwise output, or the value of a sum. */
export interface E2eResult {
  kernel: string;
  n: number;
  length: number;
  digest?: string;
  value?: number;
}

/** The page's report. */
export interface E2eReport {
  adapter: AdapterDescription;
  userAgent: string;
  results: E2eResult[];
}
