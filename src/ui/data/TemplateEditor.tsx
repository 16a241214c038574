import { useDataStore } from '../../store/data-store';
import { LabelWordsEditor } from './LabelWordsEditor';

/** The separator as typed: "\n" and "\t" written out, since an input cannot show a line break. */
const escape = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
const unescape = (s: string) => s.replace(/\\(\\|n|t)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : '\\'));

/** Input prefix, label prefix, separator, label words and k: how each row becomes a line of the prompt. */
export function TemplateEditor() {
  const template = useDataStore((s) => s.template);
  const k = useDataStore((s) => s.k);
  const { setTemplate, setK } = useDataStore.getState();
  return (
    <div className="data-card template-editor">
      <h3>Prompt template</h3>
      <div className="template-fields">
        <div className="field">
          <label htmlFor="template-input-prefix">Input prefix</label>
          <input id="template-input-prefix" value={template.inputPrefix} onChange={(e) => setTemplate({ inputPrefix: e.target.value })} spellCheck={false} />
        </div>
        <div className="field">
          <label htmlFor="template-label-prefix">Label prefix</label>
          <input id="template-label-prefix" value={template.labelPrefix} onChange={(e) => setTemplate({ labelPrefix: e.target.value })} spellCheck={false} />
        </div>
        <div className="field tiny">
          <label htmlFor="template-separator">Separator</label>
          <input id="template-separator" value={escape(template.separator)} onChange={(e) => setTemplate({ separator: unescape(e.target.value) })} spellCheck={false} />
        </div>
        <div className="field tiny">
          <label htmlFor="template-k">k (demos)</label>
          <input id="template-k" type="number" min={1} max={32} value={Number.isFinite(k) ? k : ''} onChange={(e) => setK(e.target.valueAsNumber)} />
        </div>
      </div>
      <p className="muted hint">Each demonstration is “input prefix + text + space + label prefix + label word + separator”; the query line ends after the label prefix. k, the demonstrations per prompt, is also the Train step’s.</p>
      <LabelWordsEditor />
    </div>
  );
}
