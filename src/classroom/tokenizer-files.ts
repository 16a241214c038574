/**
 * The classroom language's tokenizer as Hugging Face files (tokenizer.json, tokenizer_config.json),
 * so a classroom model folder loads through src/model/tokenizer.ts like any checkpoint, offline.
 *
 * A WordLevel model (one vocabulary entry per word, no merges) behind two pre-tokenizers: a Split
 * that cuts the text into the language's pieces, then ByteLevel without its own regex, which only
 * renames bytes (space → "Ġ", newline → "Ċ") so the ByteLevel decoder spells the text back exactly
 * and the loader finds each token's characters without decoding prefixes.
 */
import { specialAddedTokens } from '../model/added-tokens';
import { bytesToUnicode } from '../model/token-offsets';
import { BOS, PAD, TOKENS, UNK, VOCAB_SIZE } from './vocabulary';

/**
 * The pieces: a run of non-space characters with the one space after it, unless a newline follows
 * that space (so a label word before " \n" stays bare); a newline run, with a space before it; a
 * space left over. Every character of any text falls in some piece, so offsets always add up.
 */
export const PIECE_PATTERN = '[^ \\n]+(?: (?!\\n))?| ?\\n+| ';

const SPECIALS = [UNK, BOS, PAD];

function byteLevelName(text: string): string {
  const table = bytesToUnicode();
  return [...new TextEncoder().encode(text)].map((b) => table.get(b)!).join('');
}

export interface ClassroomTokenizerFiles {
  readonly 'tokenizer.json': string;
  readonly 'tokenizer_config.json': string;
}

export function classroomTokenizerFiles(maxLength: number): ClassroomTokenizerFiles {
  const vocab = Object.fromEntries(TOKENS.map((t) => [t.kind === 'special' ? t.text : byteLevelName(t.text), t.id]));
  const { addedTokens, addedTokensDecoder } = specialAddedTokens(vocab, SPECIALS);
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: PIECE_PATTERN }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: { type: 'WordLevel', vocab, unk_token: UNK },
  };
  const config = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: BOS,
    unk_token: UNK,
    pad_token: PAD,
    eos_token: null,
    // The loader reads this: every encoded text starts with <bos>, as every pretraining sequence does.
    add_bos_token: true,
    add_eos_token: false,
    clean_up_tokenization_spaces: false,
    model_max_length: maxLength,
    added_tokens_decoder: addedTokensDecoder,
  };
  if (Object.keys(vocab).length !== VOCAB_SIZE) throw new Error('Two classroom tokens have the same text.');
  return { 'tokenizer.json': JSON.stringify(tokenizer, null, 2), 'tokenizer_config.json': JSON.stringify(config, null, 2) };
}
