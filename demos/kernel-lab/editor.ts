/**
 * The kernel editor: CodeMirror 6 with line numbers, the WGSL mode (./wgsl-mode.ts), compile
 * errors from `getCompilationInfo()` shown inline at their line (lint diagnostics, underlined,
 * with the message in the gutter and on hover), and marked lines (the dropout preset's lines that
 * decide keep or drop).
 */
import { basicSetup } from 'codemirror';
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { EditorState, StateEffect, StateField, type Extension } from '@codemirror/state';
import { Decoration, type DecorationSet, EditorView } from '@codemirror/view';
import { wgsl } from './wgsl-mode';

/** One compiler message at a 1-based line and column. */
export interface LineMessage {
  line: number;
  column: number;
  message: string;
  type: 'error' | 'warning' | 'info';
}

/** The editor's API for the page. */
export interface KernelEditor {
  readonly view: EditorView;
  text(): string;
  setText(text: string): void;
  /** Shows compiler messages inline; an empty list clears them. */
  showMessages(messages: readonly LineMessage[]): void;
  /** Marks whole lines (1-based) with a class and a title. */
  markLines(lines: readonly number[], title: string): void;
}

const setMarks = StateEffect.define<DecorationSet>();
const marks = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update: (value, tr) => {
    for (const e of tr.effects) if (e.is(setMarks)) return e.value;
    return value.map(tr.changes);
  },
  provide: (f) => EditorView.decorations.from(f),
});

/** An editor in `parent`; `onChange` is called after each edit. */
export function kernelEditor(parent: HTMLElement, text: string, onChange: () => void): KernelEditor {
  const extensions: Extension[] = [
    basicSetup,
    wgsl,
    lintGutter(),
    marks,
    EditorView.updateListener.of((u) => {
      if (u.docChanged) onChange();
    }),
    EditorView.theme({ '&': { maxHeight: '32rem', fontSize: '13px' }, '.cm-scroller': { overflow: 'auto' } }),
  ];
  const view = new EditorView({ state: EditorState.create({ doc: text, extensions }), parent });
  const lineAt = (n: number) => view.state.doc.line(Math.min(Math.max(1, n), view.state.doc.lines));
  return {
    view,
    text: () => view.state.doc.toString(),
    setText(t) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: t } });
    },
    showMessages(messages) {
      const diagnostics: Diagnostic[] = messages.map((m) => {
        const line = lineAt(m.line);
        const from = Math.min(line.from + Math.max(0, m.column - 1), line.to);
        return {
          from,
          to: Math.min(view.state.doc.length, Math.max(from + 1, line.to)),
          severity: m.type === 'info' ? 'info' : m.type,
          message: `line ${m.line}:${m.column}: ${m.message}`,
        };
      });
      view.dispatch(setDiagnostics(view.state, diagnostics));
    },
    markLines(lines, title) {
      const deco = Decoration.line({ attributes: { class: 'lab-decides', title } });
      const set = Decoration.set(lines.filter((n) => n >= 1 && n <= view.state.doc.lines).map((n) => deco.range(lineAt(n).from)));
      view.dispatch({ effects: setMarks.of(set) });
    },
  };
}
