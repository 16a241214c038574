import { describe, expect, it } from 'vitest';
import { memoryFolder } from './files';
import { tinyTokenizerFiles, type TinyTokenizerStyle } from './testing/tiny-tokenizer';
import { findTokenSpan, loadTokenizer, type ModelTokenizer } from './tokenizer';

const PROMPT = 'review: a gorgeous film . sentiment: positive\nreview: dull sentiment: ';
const UNICODE = 'sentence: café, 中文 and 😀 — naïve 👩‍👩‍👧 sentiment: negative';

function tiny(style: TinyTokenizerStyle): Promise<ModelTokenizer> {
  return loadTokenizer(memoryFolder(`tiny-${style}`, tinyTokenizerFiles(style).files));
}

/**
 * Every token's range must slice the text to what the token decodes to; a token that only holds
 * part of a character decodes to U+FFFD and owns nothing, the one completing it owns the character.
 */
function expectOffsetsSpellText(tokenizer: ModelTokenizer, text: string) {
  const { ids, offsets } = tokenizer.encodeWithOffsets(text);
  expect(ids).toEqual(tokenizer.encode(text));
  expect(offsets).toHaveLength(ids.length);
  let end = 0;
  for (const [i, [s, e]] of offsets.entries()) {
    expect(s).toBe(end);
    end = e;
    const decoded = tokenizer.decode([ids[i]!]);
    if (!decoded.includes('\uFFFD')) expect(text.slice(s, e)).toBe(decoded);
  }
  expect(end).toBe(text.length);
  expect(offsets.map(([s, e]) => text.slice(s, e)).join('')).toBe(text);
}

describe.each(['gpt2', 'llama', 'qwen2'] as const)('tiny %s tokenizer', (style) => {
  it('encodes an ABFT prompt with " positive" as one token and no special tokens', async () => {
    const tokenizer = await tiny(style);
    const ids = tokenizer.encode(PROMPT);
    const [positive] = tokenizer.tokenIdOf(' positive');
    expect(tokenizer.tokenIdOf(' positive')).toHaveLength(1);
    expect(tokenizer.tokenIdOf('positive')).toHaveLength(1);
    expect(ids).toContain(positive);
    expect(tokenizer.decode(ids)).toBe(PROMPT);
    expect(tokenizer.vocabSize).toBe(tinyTokenizerFiles(style).vocabSize);
    expect(tokenizer.specialTokens.all.get('<|endoftext|>')).toBe(tokenizer.encode('<|endoftext|>')[0]);
  });

  it('gives offsets that spell ASCII and non-ASCII text exactly', async () => {
    const tokenizer = await tiny(style);
    expectOffsetsSpellText(tokenizer, PROMPT);
    expectOffsetsSpellText(tokenizer, UNICODE);
    expectOffsetsSpellText(tokenizer, '<|endoftext|>review: é sentiment: neutral');
  });

  it('locates each label word as one token with findTokenSpan', async () => {
    const tokenizer = await tiny(style);
    const { ids, offsets } = tokenizer.encodeWithOffsets(PROMPT);
    const start = PROMPT.indexOf('positive');
    const span = findTokenSpan(offsets, start, start + 'positive'.length);
    expect(span).not.toBeNull();
    expect(span!.first).toBe(span!.last);
    expect(ids[span!.first]).toBe(tokenizer.tokenIdOf(' positive')[0]);
    const dull = PROMPT.indexOf('dull');
    const dullSpan = findTokenSpan(offsets, dull, dull + 4)!;
    expect(dullSpan.last).toBeGreaterThan(dullSpan.first);
  });
});

it('attributes a character split across tokens to the token that completes it', async () => {
  const tokenizer = await tiny('gpt2');
  const text = 'a 中';
  const { offsets } = tokenizer.encodeWithOffsets(text);
  // "中" is 3 bytes, 3 byte tokens: the first two own nothing, the last owns the character.
  expect(offsets.slice(-3)).toEqual([[2, 2], [2, 2], [2, 3]]);
  expect(findTokenSpan(offsets, 2, 3)).toEqual({ first: offsets.length - 3, last: offsets.length - 1 });
});

it('maps offsets back through an NFC normalizer that changes the text', async () => {
  const tokenizer = await tiny('qwen2');
  const text = 'cafe\u0301 sentiment: positive';
  const { offsets } = tokenizer.encodeWithOffsets(text);
  expect(offsets.at(-1)).toEqual([text.indexOf(' positive'), text.length]);
  expect(offsets.map(([s, e]) => text.slice(s, e)).join('')).toBe(text);
});

describe('findTokenSpan', () => {
  const offsets: [number, number][] = [[0, 0], [0, 6], [6, 7], [7, 16]];
  it('returns the tokens that overlap the range and skips a BOS at 0', () => {
    expect(findTokenSpan(offsets, 0, 6)).toEqual({ first: 1, last: 1 });
    expect(findTokenSpan(offsets, 5, 8)).toEqual({ first: 1, last: 3 });
    expect(findTokenSpan(offsets, 16, 17)).toBeNull();
    expect(findTokenSpan(offsets, 3, 3)).toBeNull();
  });
});

/** A Llama-2-style SentencePiece BPE: "▁" for spaces, byte fallback, a BOS added by the post-processor. */
function sentencePieceFolder() {
  const bytes = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  const chars = [...new Set('▁abcdefghijklmnopqrstuvwxyz:.')];
  const merges: [string, string][] = [['▁', 'p'], ['▁p', 'o'], ['▁po', 's']];
  const symbols = ['<unk>', '<s>', '</s>', ...bytes, ...chars, ...merges.map(([a, b]) => a + b)];
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const json = {
    version: '1.0',
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: { type: 'BPE', unk_token: '<unk>', byte_fallback: true, fuse_unk: true, ignore_merges: false, vocab: Object.fromEntries(symbols.map((s, i) => [s, i])), merges },
  };
  const config = { tokenizer_class: 'LlamaTokenizer', bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', add_bos_token: true, add_eos_token: false, model_max_length: 4096 };
  return memoryFolder('tiny-sentencepiece', { 'tokenizer.json': JSON.stringify(json), 'tokenizer_config.json': JSON.stringify(config) });
}

describe('SentencePiece-style (Metaspace) tokenizer', () => {
  it('adds the BOS, as the config says, and gives exact offsets with byte fallback', async () => {
    const tokenizer = await loadTokenizer(sentencePieceFolder());
    const text = 'review: pos é 中 😀.';
    const { ids, offsets } = tokenizer.encodeWithOffsets(text);
    expect(ids[0]).toBe(1);
    expect(offsets[0]).toEqual([0, 0]);
    expect(offsets.slice(1).map(([s, e]) => text.slice(s, e)).join('')).toBe(text);
    const pos = text.indexOf('pos');
    const span = findTokenSpan(offsets, pos, pos + 3)!;
    expect(span.first).toBe(span.last);
    expect(tokenizer.decode(ids.slice(1))).toBe(text);
  });
});

describe('other tokenizers (offsets by incremental decoding)', () => {
  const folder = memoryFolder('tiny-wordlevel', {
    'tokenizer.json': JSON.stringify({
      version: '1.0',
      added_tokens: [],
      normalizer: null,
      pre_tokenizer: { type: 'WhitespaceSplit' },
      post_processor: null,
      decoder: null,
      model: { type: 'WordLevel', vocab: { '[UNK]': 0, good: 1, film: 2 }, unk_token: '[UNK]' },
    }),
  });

  it('gives offsets when decoding spells the text back', async () => {
    const tokenizer = await loadTokenizer(folder);
    const { ids, offsets } = tokenizer.encodeWithOffsets('good film good');
    expect(ids).toEqual([1, 2, 1]);
    expect(offsets).toEqual([[0, 4], [4, 9], [9, 14]]);
  });

  it('refuses a text the tokenizer cannot spell back, naming the model', async () => {
    const tokenizer = await loadTokenizer(folder);
    expect(() => tokenizer.encodeWithOffsets('good  dull')).toThrow(/tiny-wordlevel: cannot find the characters of each token in "good  dull"/);
  });
});

describe('loadTokenizer errors', () => {
  it('says tokenizer.json is needed when the folder only has a SentencePiece tokenizer.model', async () => {
    const folder = memoryFolder('models/llama-2', { 'config.json': '{}', 'tokenizer.model': new Uint8Array(4) });
    await expect(loadTokenizer(folder)).rejects.toThrow(/models\/llama-2 has no tokenizer\.json, only a SentencePiece tokenizer\.model.*needs tokenizer\.json/);
  });

  it('names the folder when tokenizer.json is missing', async () => {
    await expect(loadTokenizer(memoryFolder('dropped folder', { 'config.json': '{}' }))).rejects.toThrow(/dropped folder has no tokenizer\.json/);
  });

  it('names the file when tokenizer.json is not JSON', async () => {
    await expect(loadTokenizer(memoryFolder('m', { 'tokenizer.json': '{oops' }))).rejects.toThrow(/m: tokenizer\.json is not valid JSON/);
  });
});
