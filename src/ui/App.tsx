import { lazy, Suspense, useEffect } from 'react';
import { openClassroomOnFirstOpen } from '../store/first-open';
import { useGpuStore } from '../store/gpu-store';
import { ModelPanel } from './ModelPanel';
import { AppHeader } from './shell/AppHeader';
import { GpuAlert } from './shell/GpuAlert';
import { StepView } from './shell/StepView';
import { useStepPage } from './shell/use-step-page';

/*
 * The later steps bring recharts and the tokenizer library, megabytes of script that the first
 * step does not need: they load right after the first paint instead of before it.
 */
const DataPanel = lazy(() => import('./data/DataPanel').then((m) => ({ default: m.DataPanel })));
const TrainPanel = lazy(() => import('./TrainPanel').then((m) => ({ default: m.TrainPanel })));
const ExplorePanel = lazy(() => import('./explore/ExplorePanel').then((m) => ({ default: m.ExplorePanel })));
// Its charts are recharts too; the Model panel above it shows without waiting for them.
const PretrainPanel = lazy(() => import('./pretrain/PretrainPanel').then((m) => ({ default: m.PretrainPanel })));

export function App() {
  const detect = useGpuStore((s) => s.detect);
  const gpuReady = useGpuStore((s) => s.status.state === 'ready');
  useEffect(() => {
    void detect();
  }, [detect]);
  useEffect(() => {
    if (gpuReady) void openClassroomOnFirstOpen();
  }, [gpuReady]);
  useStepPage();

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to the current step
      </a>
      <AppHeader />
      <main className="app-main" id="main" tabIndex={-1}>
        <GpuAlert />
        <StepView step="model">
          <ModelPanel />
          <Suspense fallback={null}>
            <PretrainPanel />
          </Suspense>
        </StepView>
        <StepView step="data">
          <DataPanel />
        </StepView>
        <StepView step="train">
          <TrainPanel />
        </StepView>
        <StepView step="explore">
          <ExplorePanel />
        </StepView>
      </main>
    </div>
  );
}
