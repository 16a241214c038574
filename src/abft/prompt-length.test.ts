import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { Row } from '../data/dataset';
import { presetById } from '../data/presets';
import { memoryFolder } from '../model/files';
import { tinyTokenizerFiles, type TinyTokenizerStyle } from '../model/testing/tiny-tokenizer';
import { loadTokenizer, type ModelTokenizer } from '../model/tokenizer';
import { longRowProblem, promptCharLimit } from './prompt-length';
import { buildPrompt, locateLabels, templateOf } from './prompts';

const MR = templateOf(presetById('mr'));
const row = (text: string, label: number): Row => ({ text, label });
// The tiny vocabularies' longest entry is this special token.
const LONGEST = '<|endoftext|>';

const tiny = (style: TinyTokenizerStyle) => loadTokenizer(memoryFolder(`tiny-${style}`, tinyTokenizerFiles(style).files));
let gpt2: ModelTokenizer;
let qwen2: ModelTokenizer;
beforeAll(async () => {
  [gpt2, qwen2] = await Promise.all([tiny('gpt2'), tiny('qwen2')]);
});

describe('the character bound of a context', () => {
  it("is maxPositions × the tokenizer's longest token, which a text of longest tokens just fits", () => {
    expect(gpt2.longestTokenChars).toBe(LONGEST.length);
    expect(promptCharLimit(gpt2, 8)).toBe(8 * LONGEST.length);
    const full = LONGEST.repeat(8);
    expect(gpt2.encode(full)).toHaveLength(8);
    expect(longRowProblem(gpt2, full, 8, 'Row 3')).toBeNull();
    expect(longRowProblem(gpt2, `${full}x`, 8, 'Row 3')).toBe(
      `Row 3 is 105 characters long ("${full.slice(0, 60)}…"), more than the 104 characters that the model's 8 positions can hold (no token of its tokenizer stands for more than 13 characters), so no prompt holding it can be trained on; shorten or remove the row, or pick a model with a longer context.`,
    );
  });

  it("counts the text as the tokenizer's normalizer gives it, so composed characters are not refused for their raw length", () => {
    const decomposed = 'e\u0301'.repeat(60);
    expect(qwen2.normalizedLength(decomposed)).toBe(60);
    // 120 raw characters, 60 after NFC, and 5 positions hold 65.
    expect(longRowProblem(qwen2, decomposed, 5, 'Row 1')).toBeNull();
    expect(longRowProblem(qwen2, `${decomposed}${'x'.repeat(6)}`, 5, 'Row 1')).toMatch(/^Row 1 is 66 characters long/);
  });
});

describe('locateLabels with the character bound', () => {
  const demos = (long: string) => [row('a gorgeous film .', 1), row(long, 0), row('a delight', 1), row('tedious', 0)];
  const maxPositions = 40;
  const limit = 40 * LONGEST.length;

  it('refuses a prompt one character over the bound without tokenizing it, naming its longest row, the lengths and what to do', () => {
    const oneChar = buildPrompt(MR, demos('x'), row('q', 0));
    const over = 'x'.repeat(limit - oneChar.text.length + 2);
    const built = buildPrompt(MR, demos(over), row('q', 0));
    expect(built.text.length).toBe(limit + 1);
    const encode = vi.spyOn(gpt2, 'encodeWithOffsets');
    try {
      expect(() => locateLabels(gpt2, built, { maxPositions, name: 'training prompt 7' })).toThrow(
        `training prompt 7 is 521 characters long, more than the 520 characters that the model's 40 positions can hold (no token of its tokenizer stands for more than 13 characters), so it was not tokenized. Its longest row, demonstration 2's text, is ${over.length} characters ("${'x'.repeat(60)}…"): shorten or remove that row, use fewer demonstrations (k), or pick a model with a longer context.`,
      );
      expect(encode).not.toHaveBeenCalled();

      // At the bound the prompt might fit, so it is tokenized: the token count then refuses it.
      const at = buildPrompt(MR, demos(over.slice(1)), row('q', 0));
      expect(at.text.length).toBe(limit);
      expect(() => locateLabels(gpt2, at, { maxPositions, name: 'training prompt 7' })).toThrow(/^training prompt 7 is \d+ tokens long, more than the model's limit of 40 positions/);
      expect(encode).toHaveBeenCalledTimes(1);
    } finally {
      encode.mockRestore();
    }
  });

  it('names the query when its text is the longest row', () => {
    const built = buildPrompt(MR, demos('dull'), row('y'.repeat(limit), 0));
    expect(() => locateLabels(gpt2, built, { maxPositions })).toThrow(/^The prompt is \d+ characters long, .* Its longest row, the query's text, is 520 characters/);
  });
});
