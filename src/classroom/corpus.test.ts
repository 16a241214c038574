import { describe, expect, it } from 'vitest';
import { accuracy, addScores, contextFreeScore, countKeyLabels, labelMajorityScore, oracleScore, type KeyLabelCounts, type Score } from './baselines';
import { corpusChunk, RECOVERABLE_LABEL, UNSEEN_LABEL, type CorpusChunk } from './corpus';
import { explains, FAMILIES, HELD_OUT_FAMILIES, TRAIN_FAMILIES } from './families';
import { parseLines, type Line } from './lines';
import { IDS, TOKENS } from './vocabulary';

const LENGTH = 128;

function sequences(chunk: CorpusChunk): { tokens: Int32Array; mask: Uint8Array; lines: Line[] }[] {
  return chunk.info.map((_, s) => {
    const tokens = chunk.tokens.subarray(s * chunk.length, (s + 1) * chunk.length);
    return { tokens, mask: chunk.labelMask.subarray(s * chunk.length, (s + 1) * chunk.length), lines: parseLines(tokens) };
  });
}

const labelled = (lines: Line[]) => lines.map((l) => ({ text: l.text, label: l.label! }));

describe('the pretraining corpus', () => {
  it('is the same for the same seed, slice by slice, and different for another seed', () => {
    const opts = { seed: 11, length: LENGTH };
    const whole = corpusChunk(opts, 0, 40);
    const again = corpusChunk(opts, 0, 40);
    const slice = corpusChunk(opts, 25, 10);
    expect(again.tokens).toEqual(whole.tokens);
    expect(again.labelMask).toEqual(whole.labelMask);
    expect(slice.tokens).toEqual(whole.tokens.slice(25 * LENGTH, 35 * LENGTH));
    expect(slice.labelMask).toEqual(whole.labelMask.slice(25 * LENGTH, 35 * LENGTH));
    const other = corpusChunk({ ...opts, seed: 12 }, 0, 40);
    let same = 0;
    for (let i = 0; i < other.tokens.length; i++) if (other.tokens[i] === whole.tokens[i]) same++;
    expect(same / other.tokens.length).toBeLessThan(0.5);
  });

  it('writes <bos>, whole lines in the paper shape, then only <pad>, and marks exactly the label tokens', () => {
    for (const { tokens, mask, lines } of sequences(corpusChunk({ seed: 3, length: LENGTH, frameVariety: 0.5 }, 0, 200))) {
      expect(tokens[0]).toBe(IDS.bos);
      const lastLabel = lines.at(-1)!.labelPosition;
      expect(lines.length).toBeGreaterThanOrEqual(8);
      // The lines tile the sequence from position 1 to the last separator.
      let at = 1;
      for (const line of lines) {
        expect(TOKENS[tokens[at]].kind).toBe('prefix');
        expect(line.labelPosition).toBe(at + line.text.length + 2);
        expect(TOKENS[line.label!].kind).toBe('label');
        expect(TOKENS[tokens[line.labelPosition + 1]].kind).toBe('separator');
        at = line.labelPosition + 2;
      }
      expect([...tokens.subarray(at)].every((id) => id === IDS.pad)).toBe(true);
      expect(LENGTH - at).toBeLessThan(9);
      const marked = [...mask.keys()].filter((i) => mask[i] !== 0);
      expect(marked).toEqual(lines.map((l) => l.labelPosition));
      expect(lastLabel).toBeLessThan(LENGTH);
    }
  });

  it('holds the held-out families out: their rules explain no pretraining sequence, the generating train family explains each', () => {
    const chunk = corpusChunk({ seed: 21, length: LENGTH }, 0, 3000);
    const perFamily = new Map<string, number>();
    for (const [s, { lines }] of sequences(chunk).entries()) {
      const explaining = FAMILIES.filter((f) => explains(f, labelled(lines))).map((f) => f.id);
      expect(explaining, `sequence ${s}`).toEqual([chunk.info[s].family.id]);
      perFamily.set(explaining[0], (perFamily.get(explaining[0]) ?? 0) + 1);
    }
    expect([...perFamily.keys()].sort()).toEqual(TRAIN_FAMILIES.map((f) => f.id).sort());
    // The same check does see a held-out family when its sequences are there.
    const heldOut = corpusChunk({ seed: 21, length: LENGTH, families: HELD_OUT_FAMILIES }, 0, 600);
    for (const [s, { lines }] of sequences(heldOut).entries()) {
      expect(FAMILIES.filter((f) => explains(f, labelled(lines))).map((f) => f.id)).toEqual([heldOut.info[s].family.id]);
    }
  });

  it('lets an oracle that looks up the earlier line with the same key name every recoverable label, while context-free predictors stay near chance', () => {
    const measure = (families: typeof FAMILIES, seed: number) => {
      const counts: KeyLabelCounts = new Map();
      const training = corpusChunk({ seed: seed + 1, length: LENGTH, families }, 0, 3000);
      for (const [s, { lines }] of sequences(training).entries()) countKeyLabels(training.info[s].family, lines, counts);
      const test = corpusChunk({ seed, length: LENGTH, families }, 0, 1000);
      let oracle: Score = { correct: 0, total: 0 };
      let contextFree = oracle;
      let majority = oracle;
      let labelTokens = 0;
      for (const [s, { lines, mask }] of sequences(test).entries()) {
        const family = test.info[s].family;
        const o = oracleScore(family, lines);
        // The corpus marks as recoverable exactly the labels the oracle is scored on.
        expect(lines.filter((l) => mask[l.labelPosition] === RECOVERABLE_LABEL)).toHaveLength(o.total);
        expect(lines.filter((l) => mask[l.labelPosition] === UNSEEN_LABEL)).toHaveLength(lines.length - o.total);
        oracle = addScores(oracle, o);
        contextFree = addScores(contextFree, contextFreeScore(family, lines, counts));
        majority = addScores(majority, labelMajorityScore(family, lines));
        labelTokens += lines.length;
      }
      return { oracle: accuracy(oracle), contextFree: accuracy(contextFree), labelMajority: accuracy(majority), recoverable: oracle.total / labelTokens, linesPerSequence: labelTokens / test.count };
    };
    const train = measure(TRAIN_FAMILIES, 31);
    const heldOut = measure(HELD_OUT_FAMILIES, 41);
    console.log(JSON.stringify({ train, heldOut }));
    for (const m of [train, heldOut]) {
      expect(m.oracle).toBe(1);
      // 16 label words drawn afresh per sequence: a key's label elsewhere says nothing (chance 1/16).
      expect(m.contextFree).toBeLessThan(0.1);
      // Knowing the sequence's 2-4 labels but not which text has which: about 1/3 on average.
      expect(m.labelMajority).toBeLessThan(0.5);
      expect(m.oracle - Math.max(m.contextFree, m.labelMajority)).toBeGreaterThan(0.5);
      expect(m.recoverable).toBeGreaterThan(0.7);
    }
  });

  it('makes a million tokens in a few seconds', () => {
    const count = Math.ceil(1_000_000 / LENGTH);
    const start = performance.now();
    const chunk = corpusChunk({ seed: 1, length: LENGTH }, 0, count);
    const seconds = (performance.now() - start) / 1000;
    console.log(`${chunk.tokens.length} tokens in ${seconds.toFixed(2)} s`);
    expect(chunk.tokens.length).toBeGreaterThanOrEqual(1_000_000);
    expect(seconds).toBeLessThan(5);
  });
});
