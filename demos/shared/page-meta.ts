/**
 * What every demo page declares in its `meta.ts`: the landing page lists pages from these (found
 * by glob), and the page's shell shows the title, what it teaches and its source files.
 */

/** A page's description. */
export interface PageMeta {
  /** Folder name under demos/ (the page is demos/<name>/index.html). */
  name: string;
  title: string;
  /** One line: what the page teaches. */
  teaches: string;
  /** Position on the landing page. */
  order: number;
  /** Repository paths of the files the source tab shows, WGSL first. */
  sources: readonly string[];
}
