/** Driving the app shell (steps, GPU section) the way a user does, for the browser tests. */
import type { Page } from 'playwright-core';

export type StepLabel = 'Model' | 'Data' | 'Train' | 'Explore';

/** Shows a step's panel through the step bar; the others stay mounted but hidden. */
export async function openStep(page: Page, step: StepLabel): Promise<void> {
  await page.getByRole('navigation', { name: 'Steps' }).getByRole('button', { name: step, exact: true }).click();
  await page.locator(`.step-view[data-step="${step.toLowerCase()}"]`).waitFor({ state: 'visible' });
}

/** Opens the GPU section (adapter facts and self-check) from the header's badge. */
export async function openGpuSection(page: Page): Promise<void> {
  const menu = page.locator('details.gpu-menu');
  if (!(await menu.evaluate((d: HTMLDetailsElement) => d.open))) await menu.locator('summary').click();
}
