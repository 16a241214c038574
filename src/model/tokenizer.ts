/**
 * A model's tokenizer, loaded with transformers.js from the folder's tokenizer.json (never from the
 * network), plus the character offsets ABFT needs to find each demonstration's label token.
 *
 * Special tokens: `encode` gives what the model sees in normal use. The tokenizer_config.json's
 * `add_bos_token` decides when present; otherwise whatever tokenizer.json's post-processor puts
 * before the text (Llama 2/3 add a BOS; GPT-2, SmolLM2 and Qwen2 add nothing). Tokens the
 * post-processor would append (an EOS) are never added: ABFT reads the attention of the prompt's
 * last token, which must be the end of the text.
 */
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { readText, type ModelFolder } from './files';
import {
  alignPieces,
  byteLevelBytes,
  mapNormalizedOffsets,
  metaspaceBytes,
  offsetsByDecoding,
  type TokenOffsets,
  type TokenPiece,
} from './token-offsets';

export { findTokenSpan, type TokenOffsets } from './token-offsets';

export interface SpecialTokens {
  readonly bos: number | null;
  readonly eos: number | null;
  readonly unk: number | null;
  readonly pad: number | null;
  /** Every special token of the tokenizer, by its text. */
  readonly all: ReadonlyMap<string, number>;
}

export interface ModelTokenizer {
  /** One more than the largest token id, added tokens included. */
  readonly vocabSize: number;
  /**
   * The most characters of (normalized) text one token can stand for: the longest vocabulary entry,
   * counted in bytes for byte-level tokens (a UTF-16 unit is at least one UTF-8 byte). So a text
   * longer than maxPositions × this cannot fit in maxPositions tokens, which is known before
   * tokenizing it.
   */
  readonly longestTokenChars: number;
  readonly specialTokens: SpecialTokens;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** Ids as `encode` gives them, with each token's UTF-16 range [start, end) in `text`. */
  encodeWithOffsets(text: string): { ids: number[]; offsets: TokenOffsets };
  /**
   * The ids of `word` alone, with no special tokens: pass it as it appears in the prompt ("positive"
   * after a prompt that ends in a space, " positive" inside a demonstration line).
   */
  tokenIdOf(word: string): number[];
  /** The length of `text` as the tokens spell it: after the tokenizer's normalizer, if it has one. */
  normalizedLength(text: string): number;
}

type OffsetScheme = 'byte-level' | 'metaspace' | 'decode';

async function readJson(folder: ModelFolder, name: string): Promise<Record<string, unknown> | undefined> {
  const file = folder.get(name);
  if (!file) return undefined;
  const text = await readText(file);
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${folder.label}: ${name} is not valid JSON (${(e as Error).message}); download the file again or pick the model's original files.`);
  }
}

function missingTokenizerMessage(folder: ModelFolder): string {
  const names = folder.names();
  const base = `${folder.label} has no tokenizer.json`;
  if (names.includes('tokenizer.model')) {
    return `${base}, only a SentencePiece tokenizer.model, which ABFT Studio cannot read: it needs tokenizer.json (the "fast" tokenizer). Pick a copy of the model that includes it, or create it with Python transformers: AutoTokenizer.from_pretrained(path).save_pretrained(path).`;
  }
  if (names.includes('vocab.json') && names.includes('merges.txt')) {
    return `${base}, only vocab.json and merges.txt: ABFT Studio needs tokenizer.json. Create it with Python transformers: AutoTokenizer.from_pretrained(path).save_pretrained(path).`;
  }
  return `${base}: add the model's tokenizer.json (from its Hugging Face Hub page) to the folder.`;
}

/** Whether a tokenizer.json component (decoder, pre-tokenizer), or one in its sequence, has `type`. */
function hasComponent(component: unknown, type: string): boolean {
  if (!component || typeof component !== 'object') return false;
  const c = component as { type?: unknown; decoders?: unknown; pretokenizers?: unknown; pattern?: { String?: unknown } };
  if (c.type === type) return true;
  if (type === 'Metaspace' && c.type === 'Replace' && c.pattern?.String === '▁') return true;
  const children = [c.decoders, c.pretokenizers].filter(Array.isArray).flat();
  return children.some((child) => hasComponent(child, type));
}

function offsetScheme(json: Record<string, unknown>): OffsetScheme {
  if (hasComponent(json.decoder, 'ByteLevel')) return 'byte-level';
  if (hasComponent(json.decoder, 'Metaspace') || hasComponent(json.pre_tokenizer, 'Metaspace')) return 'metaspace';
  return 'decode';
}

export async function loadTokenizer(folder: ModelFolder): Promise<ModelTokenizer> {
  const json = await readJson(folder, 'tokenizer.json');
  if (!json) throw new Error(missingTokenizerMessage(folder));
  const config = (await readJson(folder, 'tokenizer_config.json')) ?? {};
  let tokenizer: PreTrainedTokenizer;
  try {
    tokenizer = new PreTrainedTokenizer(json, config);
  } catch (e) {
    throw new Error(`${folder.label}: transformers.js cannot build a tokenizer from tokenizer.json (${(e as Error).message}); this tokenizer type is not supported, try another model.`);
  }
  return new TransformersTokenizer(folder.label, tokenizer, offsetScheme(json));
}

class TransformersTokenizer implements ModelTokenizer {
  readonly vocabSize: number;
  readonly longestTokenChars: number;
  readonly specialTokens: SpecialTokens;
  private readonly prefixIds: readonly number[];
  private readonly addedTokens: ReadonlyMap<number, string>;

  constructor(
    private readonly label: string,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly scheme: OffsetScheme,
  ) {
    const core = tokenizer._tokenizer;
    // A loop, not Math.max(...ids): spreading a 150k-entry vocabulary overflows the call stack.
    let maxId = -1;
    let longest = 0;
    for (const [token, id] of core.get_vocab(true)) {
      maxId = Math.max(maxId, id);
      longest = Math.max(longest, token.length);
    }
    this.vocabSize = maxId + 1;
    this.addedTokens = new Map([...core.get_added_tokens_decoder()].map(([id, t]) => [id, t.content]));
    for (const content of this.addedTokens.values()) longest = Math.max(longest, content.length);
    this.longestTokenChars = longest;
    const id = (v: number | undefined) => (typeof v === 'number' ? v : null);
    this.specialTokens = {
      bos: id(tokenizer.bos_token_id),
      eos: id(tokenizer.eos_token_id),
      unk: id(tokenizer.unk_token_id),
      pad: id(tokenizer.pad_token_id),
      all: new Map(tokenizer.all_special_tokens.map((t, i) => [t, tokenizer.all_special_ids[i]!])),
    };
    this.prefixIds = this.findPrefixIds();
  }

  /** The ids `encode` puts before the text (see the module comment). */
  private findPrefixIds(): number[] {
    const addBos: unknown = this.tokenizer.add_bos_token;
    if (addBos === false) return [];
    if (addBos === true) {
      const bos = this.specialTokens.bos;
      if (bos === null) {
        throw new Error(`${this.label}: tokenizer_config.json sets add_bos_token but names no bos_token in the vocabulary; fix the file or remove add_bos_token.`);
      }
      return [bos];
    }
    const probe = 'a';
    const plain = this.tokens(probe, false).ids;
    const full = this.tokens(probe, true).ids;
    const at = full.findIndex((_, i) => plain.every((p, j) => full[i + j] === p));
    return at > 0 ? full.slice(0, at) : [];
  }

  private tokens(text: string, addSpecialTokens: boolean): { ids: number[]; tokens: string[] } {
    return this.tokenizer._tokenizer.encode(text, { add_special_tokens: addSpecialTokens });
  }

  encode(text: string): number[] {
    return [...this.prefixIds, ...this.tokens(text, false).ids];
  }

  decode(ids: readonly number[]): string {
    if (ids.length === 0) return '';
    return this.tokenizer.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  tokenIdOf(word: string): number[] {
    return this.tokens(word, false).ids;
  }

  normalizedLength(text: string): number {
    const normalizer = this.tokenizer._tokenizer.normalizer;
    return normalizer ? normalizer.normalize(text).length : text.length;
  }

  encodeWithOffsets(text: string): { ids: number[]; offsets: TokenOffsets } {
    const { ids, tokens } = this.tokens(text, false);
    const offsets = this.offsets(text, ids, tokens);
    if (!offsets) {
      throw new Error(
        `${this.label}: cannot find the characters of each token in "${text.length > 60 ? `${text.slice(0, 60)}…` : text}": the tokens do not spell the text back (a lossy tokenizer: lower-casing, unknown tokens or stripped spaces). Use a model with a byte-level or SentencePiece tokenizer.json.`,
      );
    }
    return {
      ids: [...this.prefixIds, ...ids],
      offsets: [...this.prefixIds.map((): [number, number] => [0, 0]), ...offsets],
    };
  }

  private offsets(text: string, ids: number[], tokens: string[]): TokenOffsets | null {
    const byDecoding = () => offsetsByDecoding(text, ids, (prefix) => this.decode(prefix));
    if (this.scheme === 'byte-level') {
      const normalizer = this.tokenizer._tokenizer.normalizer;
      const normalize = (s: string) => (normalizer ? normalizer.normalize(s) : s);
      const normalized = normalize(text);
      const pieces = this.pieces(ids, tokens, byteLevelBytes);
      const aligned = pieces && alignPieces(normalized, pieces);
      if (!aligned) return byDecoding();
      return normalized === text ? aligned : mapNormalizedOffsets(text, normalize, aligned);
    }
    if (this.scheme === 'metaspace') {
      const pieces = this.pieces(ids, tokens, metaspaceBytes)!;
      // SentencePiece marks the start of the text with a space ("▁") that is not in the text.
      const prefixed = alignPieces(` ${text}`, pieces);
      if (prefixed) return prefixed.map(([s, e]) => [Math.max(0, s - 1), Math.max(0, e - 1)]);
      return alignPieces(text, pieces) ?? byDecoding();
    }
    return byDecoding();
  }

  /** Each token as the bytes `toBytes` reads from it, or an added token as its text; null if one is unreadable. */
  private pieces(ids: number[], tokens: string[], toBytes: (token: string) => Uint8Array | null): TokenPiece[] | null {
    const out: TokenPiece[] = [];
    for (const [i, id] of ids.entries()) {
      const added = this.addedTokens.get(id);
      if (added !== undefined) {
        out.push({ added });
        continue;
      }
      const bytes = toBytes(tokens[i]!);
      if (!bytes) return null;
      out.push({ bytes });
    }
    return out;
  }
}
