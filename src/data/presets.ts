/**
 * The eight datasets of the paper (ABFT-SPEC.md §2) with their prompt wording and where they live on
 * the Hugging Face Hub. Prefixes and label words are the authors' StaICC library's, verbatim; the
 * splits and columns are the ones StaICC reads, so a loader that concatenates `hub.splits` and
 * maps `hub.labelColumn`'s integers to class ids one to one (StaICC's identity label mapping)
 * sees the same rows the paper sampled from.
 */

export type PresetId = 'sst2' | 'mr' | 'fp' | 'sst5' | 'trec' | 'subj' | 'tee' | 'teh';

export interface HubSource {
  /** Hub dataset id, as the dataset-viewer API takes it. */
  readonly dataset: string;
  /** The viewer's config ("subset") name. */
  readonly config: string;
  /** Splits concatenated in this order before sampling; StaICC draws its pools from their union. */
  readonly splits: readonly string[];
  readonly textColumn: string;
  /** An integer ClassLabel column whose value is the class id. */
  readonly labelColumn: string;
}

export interface DatasetPreset {
  readonly id: PresetId;
  /** The paper's short name. */
  readonly name: string;
  readonly description: string;
  readonly hub: HubSource;
  /** The Hub's class names, index = class id. */
  readonly classNames: readonly string[];
  readonly inputPrefix: string;
  readonly labelPrefix: string;
  /** One word per class, index = class id; the paper picked words that are one token for its models. */
  readonly labelWords: readonly string[];
}

/**
 * StaICC drops rows whose text is longer than this many characters before sampling (its
 * "cut_by_length_remain_short"), which keeps 4-shot prompts inside GPT-2's 1024 positions.
 */
export const MAX_TEXT_CHARS = 1024;

export const PRESETS: readonly DatasetPreset[] = [
  {
    id: 'sst2',
    name: 'SST-2',
    description: 'Stanford Sentiment Treebank, binary sentence sentiment (GLUE). stanfordnlp/sst2 holds the same rows.',
    hub: { dataset: 'nyu-mll/glue', config: 'sst2', splits: ['train'], textColumn: 'sentence', labelColumn: 'label' },
    classNames: ['negative', 'positive'],
    inputPrefix: 'sentence: ',
    labelPrefix: 'sentiment: ',
    labelWords: ['negative', 'positive'],
  },
  {
    id: 'mr',
    name: 'MR',
    description: 'Rotten Tomatoes movie review snippets, binary sentiment.',
    hub: { dataset: 'cornell-movie-review-data/rotten_tomatoes', config: 'default', splits: ['train'], textColumn: 'text', labelColumn: 'label' },
    classNames: ['neg', 'pos'],
    inputPrefix: 'review: ',
    labelPrefix: 'sentiment: ',
    labelWords: ['negative', 'positive'],
  },
  {
    id: 'fp',
    name: 'FP',
    description: 'Financial PhraseBank, sentences from financial news on which all annotators agreed.',
    hub: { dataset: 'takala/financial_phrasebank', config: 'sentences_allagree', splits: ['train'], textColumn: 'sentence', labelColumn: 'label' },
    classNames: ['negative', 'neutral', 'positive'],
    inputPrefix: 'sentence: ',
    labelPrefix: 'sentiment: ',
    labelWords: ['negative', 'neutral', 'positive'],
  },
  {
    id: 'sst5',
    name: 'SST-5',
    description: 'Stanford Sentiment Treebank, five-way sentence sentiment.',
    hub: { dataset: 'SetFit/sst5', config: 'default', splits: ['train'], textColumn: 'text', labelColumn: 'label' },
    classNames: ['very negative', 'negative', 'neutral', 'positive', 'very positive'],
    inputPrefix: 'sentence: ',
    labelPrefix: 'sentiment: ',
    labelWords: ['poor', 'bad', 'neutral', 'good', 'great'],
  },
  {
    id: 'trec',
    name: 'TREC',
    description: 'TREC question classification, six coarse answer types.',
    hub: { dataset: 'CogComp/trec', config: 'default', splits: ['train', 'test'], textColumn: 'text', labelColumn: 'coarse_label' },
    classNames: ['ABBR', 'ENTY', 'DESC', 'HUM', 'LOC', 'NUM'],
    inputPrefix: 'question: ',
    labelPrefix: 'target: ',
    labelWords: ['short', 'entity', 'description', 'person', 'location', 'number'],
  },
  {
    id: 'subj',
    name: 'SUBJ',
    description: 'Subjectivity: movie review sentences (subjective) against plot summaries (objective).',
    hub: { dataset: 'SetFit/subj', config: 'default', splits: ['train'], textColumn: 'text', labelColumn: 'label' },
    classNames: ['objective', 'subjective'],
    inputPrefix: 'review: ',
    labelPrefix: 'subjectiveness: ',
    labelWords: ['objective', 'subjective'],
  },
  {
    id: 'tee',
    name: 'TEE',
    description: 'TweetEval emotion: the emotion a tweet expresses.',
    hub: { dataset: 'cardiffnlp/tweet_eval', config: 'emotion', splits: ['train', 'validation', 'test'], textColumn: 'text', labelColumn: 'label' },
    classNames: ['anger', 'joy', 'optimism', 'sadness'],
    inputPrefix: 'tweet: ',
    labelPrefix: 'emotion: ',
    labelWords: ['anger', 'joy', 'positive', 'sad'],
  },
  {
    id: 'teh',
    name: 'TEH',
    description: 'TweetEval hate: whether a tweet is hate speech against immigrants or women. Contains offensive text.',
    hub: { dataset: 'cardiffnlp/tweet_eval', config: 'hate', splits: ['train'], textColumn: 'text', labelColumn: 'label' },
    classNames: ['non-hate', 'hate'],
    inputPrefix: 'tweet: ',
    labelPrefix: 'hate speech: ',
    labelWords: ['normal', 'hate'],
  },
];

export function presetById(id: string): DatasetPreset {
  const preset = PRESETS.find((p) => p.id === id);
  if (!preset) throw new Error(`No dataset preset "${id}"; the presets are ${PRESETS.map((p) => p.id).join(', ')}.`);
  return preset;
}
