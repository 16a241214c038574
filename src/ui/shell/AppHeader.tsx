import { GpuMenu } from './GpuMenu';
import { StepBar } from './StepBar';
import { ThemeToggle } from './ThemeToggle';

/** The product name, the steps, and the GPU and theme controls, on one line. */
export function AppHeader() {
  return (
    <header className="app-header">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true" />
        <h1>ABFT Studio</h1>
        <span className="brand-tagline">attention fine-tuning on your own GPU</span>
      </div>
      <StepBar />
      <div className="header-tools">
        <GpuMenu />
        <ThemeToggle />
      </div>
    </header>
  );
}
