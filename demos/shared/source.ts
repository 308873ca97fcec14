/**
 * The source tab: a page's files (WGSL first), highlighted with shiki's fine-grained core (the
 * JavaScript regex engine, the wgsl and typescript grammars, one theme: nothing else is bundled).
 * Lines can be marked, which the dropout page uses to point at the WGSL of each stage.
 */
import { createHighlighterCore, type HighlighterCore } from 'shiki/core';
import { createJavaScriptRegexEngine } from 'shiki/engine/javascript';
import { setHtml } from './dom';

let highlighter: Promise<HighlighterCore> | null = null;

function getHighlighter(): Promise<HighlighterCore> {
  highlighter ??= createHighlighterCore({
    themes: [import('@shikijs/themes/github-light')],
    langs: [import('@shikijs/langs/wgsl'), import('@shikijs/langs/typescript')],
    engine: createJavaScriptRegexEngine(),
  });
  return highlighter;
}

/** The language of a file, from its extension. */
export function languageOf(path: string): 'wgsl' | 'typescript' {
  return path.endsWith('.wgsl') ? 'wgsl' : 'typescript';
}

/** HTML of `code` highlighted, with the 1-based `marked` lines given the class `marked`. */
export async function highlight(code: string, lang: 'wgsl' | 'typescript', marked: ReadonlySet<number> = new Set()): Promise<string> {
  const h = await getHighlighter();
  return h.codeToHtml(code, {
    lang,
    theme: 'github-light',
    transformers: [
      {
        line(node, line) {
          node.properties['data-line'] = line;
          if (marked.has(line)) this.addClassToHast(node, 'marked');
        },
      },
    ],
  });
}

/** A file the source tab shows. */
export interface SourceText {
  path: string;
  text: string;
}

/** Renders the files into `root`: a file picker and the highlighted file. Returns a function that shows one file with lines marked. */
export function sourceView(root: HTMLElement, files: readonly SourceText[]): (path: string, marked?: ReadonlySet<number>) => Promise<void> {
  const picker = document.createElement('div');
  picker.className = 'source-files';
  const code = document.createElement('div');
  code.className = 'source-code';
  root.append(picker, code);
  const show = async (path: string, marked: ReadonlySet<number> = new Set()): Promise<void> => {
    const f = files.find((x) => x.path === path);
    if (!f) return;
    for (const b of picker.querySelectorAll('button')) b.classList.toggle('active', b.textContent === path);
    setHtml(code, await highlight(f.text, languageOf(f.path), marked));
    code.querySelector('.marked')?.scrollIntoView({ block: 'center' });
  };
  for (const f of files) {
    const b = document.createElement('button');
    b.textContent = f.path;
    b.addEventListener('click', () => void show(f.path));
    picker.append(b);
  }
  if (files[0]) void show(files[0].path);
  return show;
}

/**
 * The Source tab's files in the order a page's meta lists them, from the page's texts by path;
 * a listed path the page did not import is an error naming both.
 */
export function sourcesInOrder(paths: readonly string[], texts: Readonly<Record<string, string>>, where: string): SourceText[] {
  return paths.map((path) => {
    const text = texts[path];
    if (text === undefined) throw new Error(`${where}: meta.sources lists ${path}, which this file does not import`);
    return { path, text };
  });
}
