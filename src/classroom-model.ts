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
  /** The task the Data step gets with it: a family held out of pretraining, so ICL there is learning a new task in context. */
  dataset: 'classroom/category-in-filler',
  /**
   * Where its recipe's phase change came with the next-token loss alone, as the engine pretrains
   * (docs/classroom-language.md, "What pretraining measured"): the recoverable-label accuracy left
   * the copy baseline between these steps, at this many sequences a step. The shipped weights had
   * two attention losses besides, which brought it to steps 800-900.
   */
  phaseChange: { from: 3500, to: 4000, batch: 32 },
} as const;
