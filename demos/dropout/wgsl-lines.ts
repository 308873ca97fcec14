/**
 * Where each stage of a dropout decision happens in the WGSL: the specs of ./highlights.ts resolved
 * against the files' text by searching (demos/shared/source-lines.ts), never by line numbers. A
 * statement that is no longer there, or is there twice, is an error naming the file and the text
 * searched for, so an edit to the kernel that changes a stage fails the page (and
 * tests/lint/source-highlights.test.ts) loudly instead of marking wrong lines.
 */
import { highlightLines, type HighlightSpec } from '../shared/source-lines';
import { HIGHLIGHTS, type StageName } from './highlights';

export type { StageName };

/** A stage's place in one source file. */
export interface StageSource {
  path: string;
  /** 1-based numbers of the lines the source view marks. */
  lines: number[];
  /** The lines shown inline next to the stage's values (a few of `lines`), with their text trimmed. */
  inline: { line: number; text: string }[];
}

const STAGE_NAMES: readonly StageName[] = ['counter', 'philox', 'uniform', 'threshold', 'apply'];

/** A stage's marked lines and the inline ones (all of them when `inline` is not given), from its file's text. */
function stage(texts: Readonly<Record<string, string>>, marked: HighlightSpec, inline: HighlightSpec = marked): StageSource {
  const text = texts[marked.path];
  if (text === undefined) throw new Error(`demos/dropout/sources.ts does not import ${marked.path}, which the dropout page marks`);
  const rows = text.split('\n');
  return {
    path: marked.path,
    lines: highlightLines(marked, text),
    inline: highlightLines(inline, text).map((line) => ({ line, text: rows[line - 1].trim() })),
  };
}

/** Each stage's lines, and where the host turns p into the threshold, from the page's texts by path. */
export function stageSources(texts: Readonly<Record<string, string>>): { stages: Record<StageName, StageSource>; host: StageSource } {
  const inline: Partial<Record<StageName, HighlightSpec>> = {
    counter: HIGHLIGHTS['counter.inline'],
    philox: HIGHLIGHTS['philox.inline'],
    uniform: HIGHLIGHTS['uniform.inline'],
    apply: HIGHLIGHTS['apply.inline'],
  };
  const stages = Object.fromEntries(STAGE_NAMES.map((name) => [name, stage(texts, HIGHLIGHTS[name], inline[name])])) as Record<StageName, StageSource>;
  return { stages, host: stage(texts, HIGHLIGHTS.host) };
}
