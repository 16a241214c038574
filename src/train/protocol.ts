/**
 * The one typed protocol between the UI thread and the trainer worker, which owns the GPU device.
 * Every request carries an id that its reply repeats; a long request may first send progress
 * messages with the same id.
 */
import type { AdapterDescription, GpuFeatures } from '../engine/device';
import type { SelfCheckResult } from '../engine/self-check';
import type { LabelScoring } from '../abft/label-scoring';
import type { PromptTemplate } from '../abft/prompts';
import type { SuiteMeasure, SuiteMeasures, SuiteReport } from '../abft/suite';
import type { Row } from '../data/dataset';
import type { FrozenDType } from '../model/memory';
import type { TrainOptions } from './options';
import type { StepMetrics } from './trainer';
import type { LayerDeltaNorms } from './delta-norms';
import type { VerifyReport } from '../onnx/verify';

export interface GpuInfo {
  readonly adapter: AdapterDescription;
  readonly adapterName: string;
  readonly features: GpuFeatures;
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
}

/** Where a model's files come from. File objects are handles: posting them copies no bytes. */
export type ModelSource =
  | { readonly kind: 'hub'; readonly repo: string; readonly revision: string; readonly endpoint?: string; readonly token?: string }
  | { readonly kind: 'files'; readonly label: string; readonly files: readonly { readonly path: string; readonly file: File }[] };

/** What the UI shows of the model the worker holds on the GPU. */
export interface ModelSummary {
  readonly label: string;
  readonly hfArchitecture: string;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly hidden: number;
  readonly vocab: number;
  readonly parameters: number;
  readonly gpuBytes: number;
  /** The dtype the frozen weights got, which is f32 when f16 was asked for but the GPU lacks shader-f16. */
  readonly frozenDType: FrozenDType;
  readonly warnings: readonly string[];
  readonly tokenizer: boolean;
}

/** A repo@revision in the browser's model cache. */
export interface CachedModel {
  readonly repo: string;
  readonly revision: string;
  /** The endpoint it was downloaded from, when not the official Hub (each endpoint has its own cache). */
  readonly endpoint?: string;
  readonly bytes: number;
}

/** Bytes of the whole model: downloaded from the Hub (files already cached count as done), then copied to the GPU. */
export type LoadProgress =
  | { readonly stage: 'download'; readonly file: string; readonly bytes: number; readonly total: number | null }
  | { readonly stage: 'upload'; readonly bytes: number; readonly total: number };

/** Rows the worker turns into prompts with the loaded model's tokenizer. */
export type TrainingData =
  | { readonly kind: 'synthetic'; readonly size: number; readonly seed: number }
  | { readonly kind: 'rows'; readonly rows: readonly Row[]; readonly template: PromptTemplate };

/**
 * Fixed test prompts for the evaluation suite: the synthetic test set (queries and demonstration pool drawn
 * apart from the training rows), or queries and a demonstration pool the UI gives; and how the
 * label words are scored as the query's answer.
 */
export type EvaluationSet = (
  | { readonly kind: 'synthetic'; readonly queries: number; readonly seed: number; readonly k: number }
  | {
      readonly kind: 'rows';
      readonly queries: readonly Row[];
      readonly demonstrations: readonly Row[];
      readonly template: PromptTemplate;
      readonly setsPerQuery: number;
      readonly k: number;
      readonly seed: number;
    }
) & { readonly labelScoring: LabelScoring };

/** How far an evaluation is: `done` of the `total` prompts of `measure` scored. */
export interface EvaluationProgress {
  readonly measure: SuiteMeasure;
  readonly done: number;
  readonly total: number;
}

/** A prompt for the attention explorer: typed text, or one of the training session's prompts (0-based). */
export type AttentionInput = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'prompt'; readonly index: number };

/** 'trained': W_Q/W_K as they are now; 'base': as loaded, before this model's first training step. */
export type AttentionWeights = 'trained' | 'base';

export interface AttentionResult {
  /** Each token decoded on its own, so the UI can label rows and columns. */
  readonly tokens: string[];
  /** The query positions of each map's rows. */
  readonly rows: number[];
  /** Which weights gave the maps: as trained now, or as loaded (before the first training step). */
  readonly weights: AttentionWeights;
  /** A training prompt's demonstration label positions: I⁺ (the query's label) and I⁻; null for typed text. */
  readonly labels: { readonly plus: readonly number[]; readonly minus: readonly number[] } | null;
  readonly layers: number[];
  readonly heads: number[];
  /** Per entry of `layers`: [heads, rows, tokens] post-softmax probabilities. */
  readonly probabilities: Float32Array[];
}

/** One prompt for the Data panel's preview: demonstrations and a query (whose label may be unknown). */
export interface PreviewInput {
  readonly template: PromptTemplate;
  /** How the query's answer is scored; the preview reports label words this rule cannot tell apart. */
  readonly labelScoring: LabelScoring;
  readonly demonstrations: readonly Row[];
  /** A null label: a query typed without a gold label, so no label token is I⁺ or I⁻. */
  readonly query: { readonly text: string; readonly label: number | null };
  /**
   * The longest text among all the data's rows and its row number in the table (1-based), or null
   * without rows: a row too long for any prompt stops training wherever it is drawn.
   */
  readonly longestRow: { readonly row: number; readonly text: string } | null;
}

export interface PreviewToken {
  readonly id: number;
  /** The token's characters in the prompt, or the decoded token where it covers none (a BOS). */
  readonly text: string;
  /** UTF-16 range [start, end) of the token in the prompt. */
  readonly start: number;
  readonly end: number;
}

export interface PreviewLabelToken {
  /** The first token of the demonstration's label word: the one ABFT's loss reads. */
  readonly position: number;
  /** 0-based demonstration the label belongs to. */
  readonly demonstration: number;
  /** Tokens the label word spans in the prompt, from `position` on. */
  readonly tokens: number;
  /** I⁺ (the query's label), I⁻ (another), or neutral when the query's label is unknown. */
  readonly sign: 'plus' | 'minus' | 'neutral';
}

export interface PreviewProblem {
  readonly message: string;
  /** Whether it will stop training (so training cannot start), or only concerns the preview itself (a typed query). */
  readonly blocking: boolean;
}

/** The prompt as the loaded model's tokenizer sees it, with everything that would stop training on it. */
export interface PromptPreview {
  /** The prompt's length in characters. */
  readonly characters: number;
  /** The prompt's first tokens: a long prompt's are cut to what a page can show. */
  readonly tokens: readonly PreviewToken[];
  /** All the prompt's tokens; null when it is too long in characters to be tokenized at all. */
  readonly tokenCount: number | null;
  readonly labelTokens: readonly PreviewLabelToken[];
  /** Per class, its label word and the tokens its score reads as the query's answer under the label scoring; empty when the rule cannot tell the words apart. */
  readonly answers: readonly { readonly word: string; readonly tokens: readonly string[] }[];
  readonly maxPositions: number;
  readonly problems: readonly PreviewProblem[];
}

/** The model as an ONNX folder for transformers.js, zipped. */
export interface OnnxExportResult {
  readonly zip: Blob;
  readonly fileName: string;
  /** The archive's files, "<folder>/onnx/model.onnx" first. */
  readonly files: readonly { readonly path: string; readonly bytes: number }[];
  readonly weightBytes: number;
  /** Whether the weights are in onnx/model.onnx_data (models over 2 GiB). */
  readonly external: boolean;
}

/** The export run in onnxruntime-web against the engine on test prompts. */
export interface OnnxVerification extends VerifyReport {
  readonly provider: 'webgpu' | 'wasm';
  /** Why WebGPU was not used, when the browser has it but the session could not use it. */
  readonly fallback: string | null;
}

/** How a run saves its state as it goes, so a reload or crash can resume it (see autosave.ts). */
export interface AutosaveRequest {
  /** The page's id of the run; the checkpoint is kept under a name made from it, apart from the user's. */
  readonly runId: string;
  /** Save after every this many steps; by default as often as costs under 2 % of the training time. */
  readonly everySteps?: number;
}

/** Trained weights the worker can put back: those from before the last run that changed them, or the model's as loaded. */
export type RestorableWeights = 'before-run' | 'loaded';

/** One applied step of a pretraining run: the loss before its update, the rate it used, and its time on the GPU. */
export interface PretrainStepReport {
  readonly step: number;
  readonly loss: number;
  readonly lr: number;
  readonly gradNorm: number;
  /** Target tokens of the run so far. */
  readonly tokens: number;
  readonly ms: number;
}

/** Label accuracies of one evaluation split (pretrain/icl-eval.ts), each in [0, 1]. */
export interface PretrainAccuracy {
  /** At labels an earlier line with the same key gives away: the induction signal. */
  readonly recoverable: number;
  /** At labels whose key had not appeared: at best a guess among the unused labels. */
  readonly unseen: number;
  /** What copying any earlier label gives at the recoverable labels. */
  readonly copyBaseline: number;
}

/** What a pretraining run reports as it goes, in order: started, then steps with head scores and evaluations between them. */
export type PretrainProgress =
  | { readonly kind: 'started'; readonly steps: number; readonly layers: number; readonly heads: number; readonly parameters: number }
  | ({ readonly kind: 'step' } & PretrainStepReport)
  /** A non-finite gradient: the step was not applied (its batch is not retried). */
  | { readonly kind: 'skipped'; readonly step: number; readonly loss: number }
  /** The label-attention score (pretrain/label-attention.ts) of each head after `step`, [layer][head], each in [0, 1]. */
  | { readonly kind: 'heads'; readonly step: number; readonly scores: readonly (readonly number[])[] }
  /** The ICL evaluation after `step` has begun, over `sequences` sequences; no step runs until its `eval` comes. */
  | { readonly kind: 'evaluating'; readonly step: number; readonly sequences: number }
  | { readonly kind: 'eval'; readonly step: number; readonly heldOut: PretrainAccuracy; readonly train: PretrainAccuracy };

/** How a pretraining run ended: at its steps, stopped by the page, or diverged (too many non-finite gradients in a row). */
export type PretrainOutcome = 'done' | 'stopped' | 'diverged';

/** A training checkpoint kept in the browser's storage. */
export interface SavedCheckpoint {
  readonly name: string;
  readonly bytes: number;
  readonly savedAt: number;
}

export type WorkerRequest =
  | { readonly id: number; readonly type: 'probe' }
  | { readonly id: number; readonly type: 'self-check' }
  | { readonly id: number; readonly type: 'load-model'; readonly source: ModelSource; readonly frozenDType?: FrozenDType }
  | { readonly id: number; readonly type: 'cached-models' }
  | { readonly id: number; readonly type: 'delete-cached-model'; readonly repo: string; readonly revision: string; readonly endpoint?: string }
  /** Stops the download of request `target`; that request then fails with a message that says so. */
  | { readonly id: number; readonly type: 'cancel'; readonly target: number }
  /**
   * Trains the loaded model from its current weights; sends `training-step` after every step and
   * ends with `training-done`, `training-stopped` or `training-failed`.
   */
  | {
      readonly id: number;
      readonly type: 'start-training';
      readonly options: TrainOptions;
      readonly data: TrainingData;
      /**
       * Go on with the session that is there (stopped, or restored from a checkpoint) up to
       * `options.steps`, keeping Adam's state and 𝒜; its other options and data must be the same.
       */
      readonly continueSession?: boolean;
      /** Saves the run's state as it goes: at each save point the run sends `autosave-due` and waits for an `autosave` request. */
      readonly autosave?: AutosaveRequest;
    }
  /**
   * Pause, resume and stop take effect between steps; a paused run keeps all of its GPU state.
   * `pause` replies once the step in flight has ended, the others at once.
   */
  | { readonly id: number; readonly type: 'pause' }
  | { readonly id: number; readonly type: 'resume' }
  | { readonly id: number; readonly type: 'stop' }
  /**
   * The evaluation suite `abft train` runs (session/evaluate.ts) on the test set, the measures
   * picked; sends `evaluation-progress` as each micro-batch of a measure is scored.
   */
  | { readonly id: number; readonly type: 'evaluate-suite'; readonly set: EvaluationSet; readonly measures: SuiteMeasures; readonly microBatch: number }
  | {
      readonly id: number;
      readonly type: 'attention';
      readonly input: AttentionInput;
      readonly layers?: readonly number[];
      readonly heads?: readonly number[];
      /** 'last': the last token's row only (what ABFT trains); 'all': every row. */
      readonly rows: 'last' | 'all';
      /** 'trained' when left out. */
      readonly weights?: AttentionWeights;
    }
  | { readonly id: number; readonly type: 'export-weights' }
  /** The model as it is now, as an ONNX folder (zipped) that transformers.js loads. */
  | { readonly id: number; readonly type: 'export-onnx' }
  /** Exports the model as export-onnx does and runs it in onnxruntime-web against the engine on up to `maxPrompts` of `set`'s prompts. */
  | { readonly id: number; readonly type: 'verify-onnx'; readonly set: EvaluationSet; readonly maxPrompts: number }
  | { readonly id: number; readonly type: 'save-checkpoint'; readonly name: string }
  /** Sets up a session for `data` with the checkpoint's options and restores its weights, Adam state, 𝒜 and step count. */
  | { readonly id: number; readonly type: 'restore-checkpoint'; readonly name: string; readonly data: TrainingData }
  | { readonly id: number; readonly type: 'list-checkpoints' }
  /** Tokenizes one prompt with the loaded model's tokenizer for the Data panel; problems are reported, not thrown. */
  | { readonly id: number; readonly type: 'preview-prompt'; readonly input: PreviewInput }
  /**
   * The answer to `autosave-due`: the page has kept the run's metrics through `step`, so the state
   * after it may be saved (`write`), or could not keep them (the run goes on without saving, so a
   * resume never has steps the page has no metrics of). Replies once the save is written.
   */
  | { readonly id: number; readonly type: 'autosave'; readonly step: number; readonly write: boolean }
  /** As restore-checkpoint, from the autosave of run `runId`. */
  | { readonly id: number; readonly type: 'restore-autosave'; readonly runId: string; readonly data: TrainingData }
  | { readonly id: number; readonly type: 'discard-autosave'; readonly runId: string }
  /** Writes W_Q/W_K (and biases) back from a snapshot and ends the training session, whose Adam state belonged to the weights it replaces. */
  | { readonly id: number; readonly type: 'restore-weights'; readonly which: RestorableWeights }
  /**
   * Pretrains a model from random weights on the classroom corpus as `abft pretrain` does, with
   * `config` a pretraining config (pretrain/config.ts), checked first. The loaded model is
   * released once the config is found good; sends `pretrain-progress` as it goes (head scores
   * every `measureEvery` steps, by default the config's logEvery) and ends with `pretrain-ended`,
   * the pretrained model then being the loaded one. `stop` ends it between steps.
   */
  | { readonly id: number; readonly type: 'start-pretraining'; readonly config: unknown; readonly measureEvery?: number };

export type WorkerReply =
  | { readonly id: number; readonly type: 'probe'; readonly gpu: GpuInfo }
  | { readonly id: number; readonly type: 'self-check'; readonly results: SelfCheckResult[] }
  | { readonly id: number; readonly type: 'load-model'; readonly model: ModelSummary }
  | { readonly id: number; readonly type: 'cached-models'; readonly models: CachedModel[] }
  | { readonly id: number; readonly type: 'delete-cached-model'; readonly models: CachedModel[] }
  | { readonly id: number; readonly type: 'cancel' }
  | { readonly id: number; readonly type: 'training-done'; readonly stepsDone: number; readonly deltaNorms: LayerDeltaNorms[] }
  | { readonly id: number; readonly type: 'training-stopped'; readonly stepsDone: number; readonly deltaNorms: LayerDeltaNorms[] }
  /** A step failed (a non-finite loss, an input error): the weights of the last good step stay on the GPU. */
  | { readonly id: number; readonly type: 'training-failed'; readonly error: WorkerError }
  | { readonly id: number; readonly type: 'pause' }
  | { readonly id: number; readonly type: 'resume' }
  | { readonly id: number; readonly type: 'stop' }
  | { readonly id: number; readonly type: 'evaluate-suite'; readonly report: SuiteReport }
  | { readonly id: number; readonly type: 'attention'; readonly attention: AttentionResult }
  /** The fine-tuned model as one model.safetensors (its buffer is transferred, not copied). */
  | { readonly id: number; readonly type: 'export-weights'; readonly bytes: Uint8Array<ArrayBuffer> }
  | { readonly id: number; readonly type: 'export-onnx'; readonly result: OnnxExportResult }
  | { readonly id: number; readonly type: 'verify-onnx'; readonly verification: OnnxVerification }
  | { readonly id: number; readonly type: 'save-checkpoint'; readonly checkpoints: SavedCheckpoint[] }
  | { readonly id: number; readonly type: 'restore-checkpoint'; readonly stepsDone: number; readonly options: TrainOptions }
  | { readonly id: number; readonly type: 'list-checkpoints'; readonly checkpoints: SavedCheckpoint[] }
  | { readonly id: number; readonly type: 'preview-prompt'; readonly preview: PromptPreview }
  | { readonly id: number; readonly type: 'error'; readonly error: WorkerError }
  /** `saved` is null when nothing was written (the page asked not to, or the run had ended). */
  | { readonly id: number; readonly type: 'autosave'; readonly step: number; readonly saved: { readonly bytes: number; readonly ms: number } | null }
  | { readonly id: number; readonly type: 'restore-autosave'; readonly stepsDone: number; readonly options: TrainOptions }
  | { readonly id: number; readonly type: 'discard-autosave' }
  /** `restored`: the weights now on the GPU, in words; the ΔW norms are those of these weights. */
  | { readonly id: number; readonly type: 'restore-weights'; readonly which: RestorableWeights; readonly restored: string; readonly deltaNorms: LayerDeltaNorms[] }
  /** `model`: the pretrained model, now the loaded one; `message` says why a diverged run stopped. */
  | { readonly id: number; readonly type: 'pretrain-ended'; readonly outcome: PretrainOutcome; readonly stepsDone: number; readonly message: string | null; readonly model: ModelSummary };

/** The reply types that end a request of type T without an error. */
export type FinalReplyType<T extends WorkerRequest['type']> = T extends 'start-training' ? 'training-done' | 'training-stopped' : T extends 'start-pretraining' ? 'pretrain-ended' : T;

/** Sent before the reply of the request with this id; never ends the request. */
export type WorkerProgress =
  | { readonly id: number; readonly type: 'progress'; readonly progress: LoadProgress }
  | { readonly id: number; readonly type: 'training-step'; readonly metrics: StepMetrics }
  /** An `evaluate-suite` request has scored `done` of the `total` prompts of `measure`. */
  | { readonly id: number; readonly type: 'evaluation-progress'; readonly progress: EvaluationProgress }
  /** The run waits after step `step` until the page sends `autosave` (after keeping the metrics so far). */
  | { readonly id: number; readonly type: 'autosave-due'; readonly step: number }
  | { readonly id: number; readonly type: 'pretrain-progress'; readonly progress: PretrainProgress };

/** Unsolicited messages the worker sends when something happens outside any request. */
export type WorkerEvent =
  | { readonly id: null; readonly type: 'device-lost'; readonly message: string }
  /** The model on the GPU was released to make room for another, whose load may still fail. */
  | { readonly id: null; readonly type: 'model-released'; readonly label: string };

export interface WorkerError {
  /**
   * 'input': bad data or settings the user can fix (the message says how); 'non-finite-loss': a
   * training step was refused; 'worker-crashed': the worker died, with every request in flight.
   */
  readonly kind: 'webgpu-unavailable' | 'device-lost' | 'input' | 'non-finite-loss' | 'failed' | 'worker-crashed';
  readonly message: string;
  /** After a non-finite loss on weights that training changed: what restore-weights can put back. */
  readonly restorable?: readonly RestorableWeights[];
}

export type WorkerMessage = WorkerReply | WorkerProgress | WorkerEvent;
