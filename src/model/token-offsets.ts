/**
 * Character offsets of tokens, computed from the token strings themselves because the tokenizer
 * libraries in JavaScript do not report offsets. ABFT locates each demonstration's label token
 * through these offsets (spec §2), so they must be exact: every method checks that the tokens
 * spell the text and reports failure instead of guessing.
 */

/**
 * GPT-2's bytes_to_unicode: byte value -> the printable character that stands for it inside
 * byte-level BPE tokens ("Ġ" is the space, 0x20). Insertion order is byte order of GPT-2's
 * table: printable bytes first, then the rest mapped to U+0100 onwards.
 */
export function bytesToUnicode(): Map<number, string> {
  const printable: number[] = [];
  const ranges: [number, number][] = [
    [0x21, 0x7e],
    [0xa1, 0xac],
    [0xae, 0xff],
  ];
  for (const [lo, hi] of ranges) for (let b = lo; b <= hi; b++) printable.push(b);
  const table = new Map<number, string>(printable.map((b) => [b, String.fromCodePoint(b)]));
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (!table.has(b)) table.set(b, String.fromCodePoint(256 + next++));
  }
  return table;
}

export type TokenOffsets = Array<[start: number, end: number]>;

/** One token as the tokenizer produced it: the bytes it stands for, or an added token's text. */
export type TokenPiece = { bytes: Uint8Array } | { added: string };

let unicodeToByte: Map<string, number> | undefined;

/** The bytes a byte-level BPE token stands for; null when a symbol is not one of the 256. */
export function byteLevelBytes(token: string): Uint8Array | null {
  unicodeToByte ??= new Map([...bytesToUnicode()].map(([b, ch]) => [ch, b]));
  const bytes: number[] = [];
  for (const ch of token) {
    const b = unicodeToByte.get(ch);
    if (b === undefined) return null;
    bytes.push(b);
  }
  return Uint8Array.from(bytes);
}

/** The bytes a SentencePiece-style token stands for: "▁" is a space, "<0xE4>" a fallback byte. */
export function metaspaceBytes(token: string): Uint8Array {
  const fallback = /^<0x([0-9A-Fa-f]{2})>$/.exec(token);
  if (fallback) return Uint8Array.of(parseInt(fallback[1]!, 16));
  return new TextEncoder().encode(token.replaceAll('▁', ' '));
}

/**
 * For every byte offset of `text`'s UTF-8, the UTF-16 offset of the last character boundary at
 * or before it, so a range of bytes maps to the characters it completes.
 */
function utf16AtByte(text: string): Uint32Array {
  const encoder = new TextEncoder();
  const at: number[] = [0];
  let utf16 = 0;
  for (const ch of text) {
    const n = encoder.encode(ch).length;
    for (let i = 1; i < n; i++) at.push(utf16);
    utf16 += ch.length;
    at.push(utf16);
  }
  return Uint32Array.from(at);
}

/**
 * Offsets of tokens whose bytes must concatenate to exactly the UTF-8 of `reference`. A character
 * split across tokens belongs to the token that completes it (the others get an empty range). An
 * added token either appears literally at that point, or was inserted by the post-processor (a
 * BOS) and gets an empty range. Returns null when the tokens do not spell `reference`.
 */
export function alignPieces(reference: string, pieces: readonly TokenPiece[]): TokenOffsets | null {
  const encoder = new TextEncoder();
  const ref = encoder.encode(reference);
  const at = utf16AtByte(reference);
  const matchesAt = (bytes: Uint8Array, pos: number) =>
    pos + bytes.length <= ref.length && bytes.every((b, i) => ref[pos + i] === b);
  const offsets: TokenOffsets = [];
  let pos = 0;
  for (const piece of pieces) {
    const bytes = 'bytes' in piece ? piece.bytes : encoder.encode(piece.added);
    if (matchesAt(bytes, pos)) {
      offsets.push([at[pos]!, at[pos + bytes.length]!]);
      pos += bytes.length;
    } else if ('added' in piece) {
      offsets.push([at[pos]!, at[pos]!]);
    } else {
      return null;
    }
  }
  return pos === ref.length ? offsets : null;
}

/**
 * Maps offsets into `normalize(text)` back to `text`, for normalizers such as NFC that change
 * it. A normalized position goes to the last boundary of `text` whose prefix normalizes to no more
 * than it, so a composed character covers all the code points it came from. Quadratic in the text
 * length, which is why it only runs when normalization changed the text.
 */
export function mapNormalizedOffsets(text: string, normalize: (s: string) => string, offsets: TokenOffsets): TokenOffsets {
  const boundaries: { original: number; normalized: number }[] = [];
  for (let i = 0; i <= text.length; i++) {
    const isBoundary = i === text.length || i === 0 || !isLowSurrogate(text.charCodeAt(i));
    if (isBoundary) boundaries.push({ original: i, normalized: normalize(text.slice(0, i)).length });
  }
  const toOriginal = (p: number) => {
    let best = 0;
    for (const b of boundaries) if (b.normalized <= p) best = b.original;
    return best;
  };
  return offsets.map(([s, e]) => [toOriginal(s), toOriginal(e)]);
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * Offsets from decoding ever longer prefixes of `ids`, for tokenizers whose token strings this
 * module cannot read. Each token ends where the decoded prefix stops agreeing with `text` (a
 * partial character decodes to U+FFFD, so the completing token gets it). Null when the whole
 * decoding is not `text` (a lossy tokenizer: lower-casing, stripped spaces, unknown tokens).
 */
export function offsetsByDecoding(text: string, ids: readonly number[], decode: (ids: number[]) => string): TokenOffsets | null {
  if (decode([...ids]) !== text) return null;
  const offsets: TokenOffsets = [];
  let previous = 0;
  for (let i = 0; i < ids.length; i++) {
    const prefix = decode(ids.slice(0, i + 1));
    let end = 0;
    while (end < prefix.length && end < text.length && prefix[end] === text[end]) end++;
    if (end > 0 && end < text.length && isLowSurrogate(text.charCodeAt(end))) end--;
    end = Math.max(end, previous);
    offsets.push([previous, end]);
    previous = end;
  }
  return offsets;
}

/**
 * The tokens covering characters [charStart, charEnd) of the text, or null when none does (or the
 * range is empty). Used to
 * locate each demonstration's label word: a span of more than one token means the label word is
 * not one token there. An empty-range token inside the range (part of a character that a later
 * token completes) belongs to the span; one at position 0 is not included, being the
 * post-processor's BOS, since a label word never starts a prompt.
 */
export function findTokenSpan(offsets: TokenOffsets, charStart: number, charEnd: number): { first: number; last: number } | null {
  if (charEnd <= charStart) return null;
  let first = -1;
  let last = -1;
  offsets.forEach(([s, e], i) => {
    const covers = s === e ? s >= charStart && s < charEnd && s > 0 : s < charEnd && e > charStart;
    if (!covers) return;
    if (first < 0) first = i;
    last = i;
  });
  return first < 0 ? null : { first, last };
}
