import { autocompletion, type CompletionContext } from '@codemirror/autocomplete';
import { yaml } from '@codemirror/lang-yaml';
import { linter, lintGutter, type Diagnostic } from '@codemirror/lint';
import { EditorView, basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';

export interface Problem { line?: number | undefined; column?: number | undefined; path: string; message: string }

/**
 * A YAML editor (CodeMirror 6): completion of the flow document's keys, and the server's
 * validation shown inline at line:column as you type (debounced by the lint extension).
 */
export function YamlEditor({ value, onChange, validate, keys, label }: { value: string; onChange(text: string): void; validate(text: string): Promise<Problem[]>; keys: string[]; label: string }) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView>(undefined);
  const latest = useRef({ onChange, validate, keys });
  latest.current = { onChange, validate, keys };

  useEffect(() => {
    const complete = (context: CompletionContext) => {
      const word = context.matchBefore(/[A-Za-z_]*/);
      if (!word || (word.from === word.to && !context.explicit)) return null;
      return { from: word.from, options: latest.current.keys.map((k) => ({ label: k, type: 'property', apply: `${k}: ` })) };
    };
    const lint = linter(async (v) => {
      const text = v.state.doc.toString();
      const problems = await latest.current.validate(text);
      return problems.map((p): Diagnostic => {
        const line = v.state.doc.line(Math.min(Math.max(p.line ?? 1, 1), v.state.doc.lines));
        const from = Math.min(line.from + Math.max((p.column ?? 1) - 1, 0), line.to);
        return { from, to: Math.max(from, line.to), severity: 'error', message: `${p.path}: ${p.message}` };
      });
    }, { delay: 400 });
    view.current = new EditorView({
      parent: host.current!,
      doc: value,
      extensions: [basicSetup, yaml(), lintGutter(), lint, autocompletion({ override: [complete] }),
        EditorView.updateListener.of((u) => { if (u.docChanged) latest.current.onChange(u.state.doc.toString()); }),
        EditorView.contentAttributes.of({ 'aria-label': label })],
    });
    // The scroller holds the editable content; axe wants a scrollable region reachable by keyboard.
    view.current.scrollDOM.tabIndex = 0;
    return () => view.current?.destroy();
    // The editor is made once; a new value from outside (a template) is dispatched below.
  }, []);
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);
  return <div ref={host} className="editor" />;
}
