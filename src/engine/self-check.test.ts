import { describe, expect, it } from 'vitest';
import { runSelfCheck } from './self-check';
import { testEngine } from './testing/gpu';

describe('engine self-check', () => {
  it('passes every check on the test adapter, each within its tolerance', async () => {
    const results = await runSelfCheck(await testEngine());
    const failed = results.filter((r) => !r.passed).map((r) => `${r.name}: ${r.maxError.toExponential(2)} > ${r.tolerance}`);
    expect(failed).toEqual([]);
    expect(new Set(results.map((r) => r.name)).size, 'check names are unique').toBe(results.length);
  });
});
