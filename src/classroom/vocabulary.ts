/**
 * The classroom language's words (written for this project; docs/classroom-language.md): content
 * words in semantic categories, filler words, label words, the prompt's prefixes and separators,
 * and the special tokens. Every entry is exactly one token of the classroom tokenizer, so the
 * corpus generator can emit token ids directly and a prompt's label word is one token in context.
 *
 * How a text is cut into tokens (see tokenizer-files.ts): a word carries the one space after it
 * ("cat " is a token), a word followed by a newline or by the end of the text is bare ("alpha",
 * "Label: " at a prompt's end keeps its space). Content words only ever appear inside a row's
 * text, which the prompt always follows with " Label: ", so they need only their spaced form;
 * label words only ever end a line, so they need only their bare form.
 */

/** Content words by category; a category is what the category families' rules read. */
export const CATEGORIES: Readonly<Record<string, readonly string[]>> = {
  animal: ['cat', 'dog', 'horse', 'cow', 'sheep', 'goat', 'mouse', 'tiger', 'lion', 'bear'],
  fruit: ['apple', 'pear', 'plum', 'grape', 'lemon', 'mango', 'peach', 'cherry', 'melon', 'banana'],
  color: ['red', 'blue', 'green', 'yellow', 'purple', 'pink', 'brown', 'black', 'white', 'gray'],
  tool: ['hammer', 'saw', 'drill', 'wrench', 'shovel', 'rake', 'axe', 'chisel', 'pliers', 'ladder'],
  vehicle: ['car', 'bus', 'train', 'truck', 'bike', 'boat', 'ship', 'plane', 'tram', 'van'],
  body: ['hand', 'foot', 'head', 'knee', 'elbow', 'nose', 'ear', 'eye', 'mouth', 'arm'],
  weather: ['rain', 'snow', 'wind', 'fog', 'storm', 'hail', 'frost', 'sun', 'cloud', 'thunder'],
  furniture: ['chair', 'table', 'bed', 'sofa', 'desk', 'shelf', 'lamp', 'stool', 'bench', 'closet'],
  clothing: ['shirt', 'coat', 'hat', 'sock', 'shoe', 'glove', 'scarf', 'dress', 'skirt', 'belt'],
  music: ['drum', 'flute', 'piano', 'violin', 'guitar', 'harp', 'trumpet', 'cello', 'banjo', 'organ'],
  food: ['tea', 'coffee', 'milk', 'juice', 'water', 'soup', 'bread', 'cheese', 'rice', 'pasta'],
  place: ['city', 'town', 'village', 'farm', 'forest', 'river', 'lake', 'beach', 'desert', 'island'],
  job: ['doctor', 'nurse', 'pilot', 'farmer', 'baker', 'teacher', 'singer', 'painter', 'lawyer', 'chef'],
};

export const CATEGORY_NAMES: readonly string[] = Object.keys(CATEGORIES);

/** Words with no category: noise around the word that decides a row's label. */
export const FILLERS: readonly string[] = ['the', 'a', 'this', 'that', 'some', 'my', 'your', 'one', 'two', 'very', 'and', 'with', 'of', 'in', 'on', 'near'];

/** Label words with no meaning of their own: which one names which class is drawn per sequence. */
export const LABEL_WORDS: readonly string[] = [
  'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta',
  'iota', 'kappa', 'lambda', 'sigma', 'tau', 'phi', 'rho', 'omega',
];

/** The classroom datasets' wording: the paper's shape, `Input: <text> Label: <label word>\n`. */
export const INPUT_PREFIX = 'Input: ';
export const LABEL_PREFIX = 'Label: ';
export const SEPARATOR = '\n';

/**
 * The input and label prefixes templateVariants (src/abft/prompts.ts) rewords a prompt with, and
 * its separators, so the nine templates of the template-consistency measure are one token a word too.
 */
export const INPUT_PREFIXES: readonly string[] = [INPUT_PREFIX, 'input: ', 'text: ', 'example: '];
export const LABEL_PREFIXES: readonly string[] = [LABEL_PREFIX, 'label: ', 'answer: ', 'class: '];
export const SEPARATORS: readonly string[] = [SEPARATOR, '\n\n', ' \n'];

export const UNK = '<unk>';
/** Starts every sequence (the tokenizer adds it, as Llama's does): a place for heads to rest their attention. */
export const BOS = '<bos>';
/** Fills a pretraining sequence after its last whole line; never a target. */
export const PAD = '<pad>';

export type TokenKind = 'special' | 'prefix' | 'separator' | 'content' | 'filler' | 'label';

export interface Token {
  readonly id: number;
  /** The characters this token stands for in text. */
  readonly text: string;
  readonly kind: TokenKind;
  /** The word without its trailing space (content, filler, label words). */
  readonly word?: string;
  /** Index into CATEGORY_NAMES, for content words. */
  readonly category?: number;
}

function buildTokens(): Token[] {
  const out: Token[] = [];
  const add = (text: string, kind: TokenKind, extra: Partial<Token> = {}) => out.push({ id: out.length, text, kind, ...extra });
  for (const special of [UNK, BOS, PAD]) add(special, 'special');
  for (const prefix of [...INPUT_PREFIXES, ...LABEL_PREFIXES]) add(prefix, 'prefix');
  for (const separator of SEPARATORS) add(separator, 'separator');
  // A space the pieces leave over (two spaces in a row): never generated, there so any text of the language's words spells back.
  add(' ', 'separator');
  CATEGORY_NAMES.forEach((name, category) => {
    for (const word of CATEGORIES[name]) add(`${word} `, 'content', { word, category });
  });
  for (const word of FILLERS) add(`${word} `, 'filler', { word });
  for (const word of LABEL_WORDS) add(word, 'label', { word });
  return out;
}

/** Every token, index = id. */
export const TOKENS: readonly Token[] = buildTokens();

export const VOCAB_SIZE = TOKENS.length;

const byText = new Map(TOKENS.map((t) => [t.text, t.id]));

/** The id of the token whose text is exactly `text` (e.g. "cat ", "alpha", "Label: "). */
export function tokenId(text: string): number {
  const id = byText.get(text);
  if (id === undefined) throw new Error(`"${text}" is not a token of the classroom language.`);
  return id;
}

const byWord = new Map(TOKENS.filter((t) => t.word !== undefined).map((t) => [t.word!, t]));

/** The content, filler or label token of `word`, or undefined. */
export function wordToken(word: string): Token | undefined {
  return byWord.get(word);
}

export const IDS = {
  unk: tokenId(UNK),
  bos: tokenId(BOS),
  pad: tokenId(PAD),
  inputPrefix: tokenId(INPUT_PREFIX),
  labelPrefix: tokenId(LABEL_PREFIX),
  separator: tokenId(SEPARATOR),
} as const;

/** Ids of the content words of each category, index = category. */
export const CATEGORY_IDS: readonly (readonly number[])[] = CATEGORY_NAMES.map((name) => CATEGORIES[name].map((w) => tokenId(`${w} `)));
export const CONTENT_IDS: readonly number[] = CATEGORY_IDS.flat();
export const FILLER_IDS: readonly number[] = FILLERS.map((w) => tokenId(`${w} `));
export const LABEL_IDS: readonly number[] = LABEL_WORDS.map((w) => tokenId(w));

/** The category of each token id, -1 for tokens that are not content words. */
export const CATEGORY_OF: Int16Array = Int16Array.from(TOKENS, (t) => t.category ?? -1);
export const IS_FILLER: Uint8Array = Uint8Array.from(TOKENS, (t) => (t.kind === 'filler' ? 1 : 0));
