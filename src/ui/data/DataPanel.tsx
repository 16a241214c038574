import './data.css';
import { useDataStore } from '../../store/data-store';
import { DatasetSummary } from './DatasetSummary';
import { FileImport } from './FileImport';
import { ImportMapping } from './ImportMapping';
import { ImportUndo } from './ImportUndo';
import { PresetPicker } from './PresetPicker';
import { PromptPreview } from './PromptPreview';
import { RowTable } from './RowTable';
import { TemplateEditor } from './TemplateEditor';

/** Step 2: the demonstrations and queries to train on, the prompt template, and a preview of one prompt. */
export function DataPanel() {
  const importing = useDataStore((s) => s.importDraft !== null);
  return (
    <section className="panel data-panel" data-testid="data-panel" aria-labelledby="data-panel-title">
      <h2 id="data-panel-title">Data</h2>
      <DatasetSummary />
      <ImportUndo />
      <div className="data-sources">
        <PresetPicker />
        <FileImport />
      </div>
      {importing && <ImportMapping />}
      <div className="data-prompt">
        <TemplateEditor />
        <PromptPreview />
      </div>
      <RowTable />
    </section>
  );
}
