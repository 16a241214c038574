/**
 * Small but real byte-level BPE tokenizers in the exact format Hugging Face `tokenizers` writes, so
 * tests exercise the same loading and offset code as GPT-2, SmolLM2 and Qwen2 checkpoints do,
 * without shipping a 50k-entry vocabulary.
 *
 * The vocabulary is the 256 byte symbols of GPT-2's bytes_to_unicode, plus merges that make the
 * words of this project's prompts single tokens, with and without the leading "Ġ" (space), plus
 * the style's special tokens. Words can be added that become one token only after a space, as
 * GPT-2's BPE has "Ġsad" but splits a bare "sad" (the label words of the paper's TEE and SUBJ).
 */
import { specialAddedTokens } from '../added-tokens';
import { bytesToUnicode } from '../token-offsets';

export type TinyTokenizerStyle = 'gpt2' | 'llama' | 'qwen2';

/** Words of the ABFT prompts (spec §2) that become one token, bare and after a space. */
const WORDS = ['review', 'sentence', 'sentiment', 'positive', 'negative', 'neutral'];

/**
 * Each word is built left to right ("p o", "po s", …). The space-prefixed chains come first: their
 * left parts all start with "Ġ", so they only fire at a word start and always finish before any
 * bare-word merge can split the word differently.
 */
function wordMerges(spaceOnlyWords: readonly string[]): [string, string][] {
  const merges: [string, string][] = [];
  const seen = new Set<string>();
  for (const word of [...[...WORDS, ...spaceOnlyWords].map((w) => `Ġ${w}`), ...WORDS]) {
    const chars = [...word];
    let left = chars[0]!;
    for (const right of chars.slice(1)) {
      const key = `${left} ${right}`;
      if (!seen.has(key)) {
        seen.add(key);
        merges.push([left, right]);
      }
      left += right;
    }
  }
  return merges;
}

const SPECIALS: Record<TinyTokenizerStyle, string[]> = {
  gpt2: ['<|endoftext|>'],
  llama: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'],
  qwen2: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'],
};

/** Qwen2's split pattern, verbatim from its tokenizer.json (digits one by one, NFC beforehand). */
const QWEN2_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

function byteLevel(useRegex: boolean) {
  return { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: useRegex };
}

function config(style: TinyTokenizerStyle) {
  const common = { add_prefix_space: false, clean_up_tokenization_spaces: false };
  switch (style) {
    case 'gpt2':
      return {
        ...common,
        tokenizer_class: 'GPT2Tokenizer',
        bos_token: '<|endoftext|>',
        eos_token: '<|endoftext|>',
        unk_token: '<|endoftext|>',
        model_max_length: 1024,
      };
    case 'llama':
      // SmolLM2 ships a GPT-2 tokenizer class with ChatML specials at the start of the vocabulary.
      return {
        ...common,
        tokenizer_class: 'GPT2Tokenizer',
        bos_token: '<|im_start|>',
        eos_token: '<|im_end|>',
        unk_token: '<|endoftext|>',
        pad_token: '<|im_end|>',
        model_max_length: 8192,
      };
    case 'qwen2':
      return {
        ...common,
        tokenizer_class: 'Qwen2Tokenizer',
        bos_token: null,
        eos_token: '<|endoftext|>',
        unk_token: null,
        pad_token: '<|endoftext|>',
        errors: 'replace',
        model_max_length: 32768,
      };
  }
}

export interface TinyTokenizerOptions {
  /** Words (of lowercase ASCII letters) that become one token after a space and stay several bytes bare. */
  readonly spaceOnlyWords?: readonly string[];
}

export function tinyTokenizerFiles(
  style: 'gpt2' | 'llama' | 'qwen2',
  opts: TinyTokenizerOptions = {},
): {
  files: { 'tokenizer.json': string; 'tokenizer_config.json': string };
  vocabSize: number;
} {
  const specials = SPECIALS[style];
  const merges = wordMerges(opts.spaceOnlyWords ?? []);
  const symbols = [...bytesToUnicode().values(), ...merges.map(([a, b]) => a + b)];
  // SmolLM2 numbers its specials first; GPT-2 and Qwen2 append them after the BPE vocabulary.
  const ordered = style === 'llama' ? [...specials, ...symbols] : [...symbols, ...specials];
  const vocab = Object.fromEntries(ordered.map((token, id) => [token, id]));
  const { addedTokens, addedTokensDecoder } = specialAddedTokens(vocab, specials);
  const qwen2 = style === 'qwen2';
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: qwen2 ? { type: 'NFC' } : null,
    pre_tokenizer: qwen2
      ? {
          type: 'Sequence',
          pretokenizers: [
            { type: 'Split', pattern: { Regex: QWEN2_PATTERN }, behavior: 'Isolated', invert: false },
            byteLevel(false),
          ],
        }
      : byteLevel(true),
    post_processor: style === 'llama' ? null : byteLevel(false),
    decoder: byteLevel(true),
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
  return {
    files: {
      'tokenizer.json': JSON.stringify(tokenizer, null, 2),
      'tokenizer_config.json': JSON.stringify({ ...config(style), added_tokens_decoder: addedTokensDecoder }, null, 2),
    },
    vocabSize: ordered.length,
  };
}
