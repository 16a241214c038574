import { PreTrainedTokenizer } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { tinyTokenizerFiles, type TinyTokenizerStyle } from './tiny-tokenizer';

const STYLES: TinyTokenizerStyle[] = ['gpt2', 'llama', 'qwen2'];

function load(style: TinyTokenizerStyle) {
  const { files, vocabSize } = tinyTokenizerFiles(style);
  const tokenizer = new PreTrainedTokenizer(JSON.parse(files['tokenizer.json']), JSON.parse(files['tokenizer_config.json']));
  return { tokenizer, vocabSize };
}

describe.each(STYLES)('tinyTokenizerFiles(%s)', (style) => {
  it('loads in transformers.js with every id below vocabSize', () => {
    const { tokenizer, vocabSize } = load(style);
    expect(tokenizer.get_vocab().size).toBe(vocabSize);
    expect(Math.max(...tokenizer.get_vocab().values())).toBe(vocabSize - 1);
  });

  it('makes the prompt words single tokens, with and without the leading space', () => {
    const { tokenizer } = load(style);
    const text = 'review: a gorgeous film . sentiment: positive\nreview: dull sentiment: ';
    const tokens = tokenizer.tokenize(text);
    expect(tokens).toContain('Ġpositive');
    expect(tokens).toContain('Ġsentiment');
    expect(tokens.slice(0, 2)).toEqual(['review', ':']);
    expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    for (const word of ['sentence', 'negative', 'neutral', ' sentence', ' negative', ' neutral']) {
      expect(tokenizer.encode(word)).toHaveLength(1);
    }
  });

  it('adds no special tokens to plain text and encodes its specials as one id', () => {
    const { tokenizer } = load(style);
    expect(tokenizer.encode('positive')).toEqual([tokenizer.get_vocab().get('positive')]);
    expect(tokenizer.encode('<|endoftext|>')).toEqual([tokenizer.get_vocab().get('<|endoftext|>')]);
  });

  it('round-trips non-ASCII text through bytes', () => {
    const { tokenizer } = load(style);
    const text = 'é 中文 😀 naïve';
    expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });
});

it('numbers the specials as each model family does', () => {
  expect(load('gpt2').tokenizer.get_vocab().get('<|endoftext|>')).toBe(load('gpt2').vocabSize - 1);
  expect(load('llama').tokenizer.get_vocab().get('<|endoftext|>')).toBe(0);
  expect(load('llama').tokenizer.get_vocab().get('<|im_end|>')).toBe(2);
  expect(load('qwen2').tokenizer.get_vocab().get('<|im_end|>')).toBe(load('qwen2').vocabSize - 1);
  expect(load('gpt2').tokenizer.get_vocab().get('!')).toBe(0);
});

it('makes a space-only word one token after a space and several bare, as GPT-2 does with "sad"', () => {
  const { files } = tinyTokenizerFiles('gpt2', { spaceOnlyWords: ['sad'] });
  const tokenizer = new PreTrainedTokenizer(JSON.parse(files['tokenizer.json']), JSON.parse(files['tokenizer_config.json']));
  expect(tokenizer.tokenize(' sad')).toEqual(['Ġsad']);
  expect(tokenizer.tokenize('sad')).toEqual(['s', 'a', 'd']);
  expect(tokenizer.tokenize(' sentiment positive')).toEqual(['Ġsentiment', 'Ġpositive']);
});
