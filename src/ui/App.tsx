import { useEffect } from 'react';
import { useGpuStore } from '../store/gpu-store';
import { GpuStatusPanel } from './GpuStatusPanel';
import { ModelPanel } from './ModelPanel';
import { SelfCheckPanel } from './SelfCheckPanel';
import { TrainPanel } from './TrainPanel';

const STEPS = ['Model', 'Data', 'Train', 'Explore'] as const;

export function App() {
  const detect = useGpuStore((s) => s.detect);
  useEffect(() => {
    void detect();
  }, [detect]);

  return (
    <div className="app">
      <header className="app-header">
        <h1>ABFT Studio</h1>
        <p className="tagline">Fine-tune where a language model looks: Attention Behavior Fine-Tuning on your own GPU, in the browser.</p>
        <nav aria-label="Steps" className="steps">
          {STEPS.map((step, i) => (
            <span key={step} className="step" aria-disabled="true" title="Arrives with the next releases">
              {i + 1}. {step}
            </span>
          ))}
        </nav>
      </header>
      <main>
        <GpuStatusPanel />
        <ModelPanel />
        <TrainPanel />
        <SelfCheckPanel />
      </main>
    </div>
  );
}
