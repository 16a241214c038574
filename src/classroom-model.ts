/**
 * The classroom model the app ships: a 2-layer Llama pretrained on the classroom language
 * (docs/classroom-language.md) until it learned in-context learning, committed under
 * public/classroom-model/ with its model card. Vite serves and copies public/ as it is, so it
 * loads with no network, like the demo model.
 */
export const CLASSROOM_MODEL = {
  layers: 2,
  heads: 4,
  path: 'classroom-model',
  files: ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'],
  label: 'classroom model (learned in-context learning)',
  /**
   * The task it comes with, in Data on first open and from its card: category-in-filler (a word of
   * the deciding category among filler words), a family held out of its pretraining, which it
   * answers 0.70 right on its test queries from the demonstrations alone: its induction heads find
   * the right labels often, not always. ABFT, which moves exactly that attention, raises it
   * (README, "ABFT on the classroom model").
   */
  dataset: 'classroom/category-in-filler',
  /**
   * The Train settings it comes with on first open: ABFT with the paper's filter and PID, at a
   * learning rate fit for a model this small (the paper's 2e-5 moves it by nothing), 32 steps of
   * 16 prompts, and an evaluation of accuracy alone on 32 test queries. On 128 test prompts this
   * run gained +0.12, +0.20, +0.05, +0.15, +0.11 on seeds 0-4 (README, "ABFT on the classroom
   * model"); in headless Chromium on SwiftShader it takes 76 s with both evaluations (e2e/first-open.test.ts).
   */
  training: {
    lr: 2e-3,
    steps: 32,
    pseudoBatch: 16,
    testQueries: 32,
    measures: { test: true, demonstrationConsistency: false, templateConsistency: false, unseenLabel: false },
  },
  /**
   * Where its recipe's phase change came when the engine pretrained the shipped weights
   * (`npm run make:classroom-model`; model card, pretrainingIcl): the recoverable-label accuracy on
   * the train families left the copy baseline (0.46) between these steps (0.60 at step 800), at
   * this many sequences a step.
   */
  phaseChange: { from: 700, to: 800, batch: 32 },
} as const;
