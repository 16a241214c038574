/**
 * The special tokens of a generated Hugging Face tokenizer, in the two forms its files hold them:
 * tokenizer.json's `added_tokens` list and tokenizer_config.json's `added_tokens_decoder` map (by id).
 */
export interface AddedToken {
  readonly id: number;
  readonly content: string;
  readonly single_word: false;
  readonly lstrip: false;
  readonly rstrip: false;
  readonly normalized: false;
  readonly special: true;
}

export function specialAddedTokens(vocab: Readonly<Record<string, number>>, specials: readonly string[]): { addedTokens: AddedToken[]; addedTokensDecoder: Record<string, Omit<AddedToken, 'id'>> } {
  const addedTokens = specials.map((content): AddedToken => ({ id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  const addedTokensDecoder = Object.fromEntries(addedTokens.map(({ id, ...rest }) => [String(id), rest]));
  return { addedTokens, addedTokensDecoder };
}
