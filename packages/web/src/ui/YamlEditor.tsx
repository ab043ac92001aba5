// YAML with syntax highlighting and validation (CodeMirror 6 + the yaml
// parser): parse errors are marked on their line as you type. Loaded lazily
// (see LazyYamlEditor) so pages that never show YAML do not pay for it.
import { yaml as yamlLanguage } from '@codemirror/lang-yaml';
import { linter, lintGutter, type Diagnostic } from '@codemirror/lint';
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { EditorState, Prec } from '@codemirror/state';
import { tags as t } from '@lezer/highlight';
import { EditorView } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';
import { parseAllDocuments } from 'yaml';

export function yamlDiagnostics(text: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const doc of parseAllDocuments(text)) {
    for (const e of [...doc.errors, ...doc.warnings]) {
      const [from, to] = e.pos;
      out.push({
        from,
        to: Math.max(to, from + 1),
        severity: doc.errors.includes(e) ? 'error' : 'warning',
        message: e.message.split('\n')[0] ?? e.message,
      });
    }
  }
  return out.map((d) => ({ ...d, from: Math.min(d.from, text.length), to: Math.min(d.to, text.length) }));
}

/**
 * Token colours from the page's theme variables (--hl-*), so both themes keep WCAG AA contrast;
 * basicSetup's default style is for light backgrounds only.
 */
const themedHighlight = HighlightStyle.define([
  { tag: [t.propertyName, t.definition(t.propertyName), t.attributeName, t.labelName], color: 'var(--hl-key)' },
  { tag: [t.string, t.special(t.string), t.content, t.inserted], color: 'var(--hl-string)' },
  { tag: [t.number, t.bool, t.null, t.atom, t.literal, t.unit], color: 'var(--hl-literal)' },
  { tag: [t.keyword, t.operator, t.meta, t.processingInstruction, t.typeName, t.tagName], color: 'var(--hl-keyword)' },
  { tag: [t.comment, t.lineComment, t.blockComment], color: 'var(--muted)', fontStyle: 'italic' },
  { tag: [t.punctuation, t.separator, t.bracket, t.variableName, t.name], color: 'var(--text)' },
  { tag: [t.invalid, t.deleted], color: 'var(--err)' },
  { tag: [t.link, t.url], color: 'var(--accent)', textDecoration: 'underline' },
  { tag: t.heading, fontWeight: 'bold' },
]);

const darkish = EditorView.theme({
  '&': { backgroundColor: 'var(--panel)', color: 'var(--text)' },
  '.cm-gutters': { backgroundColor: 'var(--panel-2)', color: 'var(--muted)', borderRight: '1px solid var(--border)' },
  '.cm-activeLine, .cm-activeLineGutter': { backgroundColor: 'color-mix(in srgb, var(--accent) 8%, transparent)' },
  '.cm-cursor': { borderLeftColor: 'var(--text)' },
});

export default function YamlEditor({
  value,
  onChange,
  readOnly = false,
  label,
  height = '60vh',
}: {
  value: string;
  onChange?: (v: string) => void;
  readOnly?: boolean;
  label: string;
  height?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView>(null);
  const changeRef = useRef(onChange);
  changeRef.current = onChange;

  useEffect(() => {
    if (!host.current) return;
    const v = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          basicSetup,
          Prec.highest(syntaxHighlighting(themedHighlight)),
          yamlLanguage(),
          darkish,
          EditorView.theme({ '&': { height }, '.cm-scroller': { overflow: 'auto' } }),
          // Read-only stays focusable (not editable=false): the text can be reached, selected and
          // scrolled with the keyboard and read by screen readers.
          EditorState.readOnly.of(readOnly),
          EditorView.contentAttributes.of({ 'aria-label': label, tabindex: '0' }),
          ...(readOnly ? [] : [lintGutter(), linter((ev) => yamlDiagnostics(ev.state.doc.toString()), { delay: 250 })]),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) changeRef.current?.(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => v.destroy();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the editor is created once; value changes are pushed below
  }, [readOnly, label, height]);

  // A new value from outside (reload, reset) replaces the document.
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value)
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);

  return <div ref={host} data-testid="yaml-editor" />;
}
