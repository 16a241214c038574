import { plural } from '../../data/plural';

/** What a table shows of one text at most: a 5 MB row must cost the page no more than a short one. */
const PREVIEW_CHARS = 300;

/** The start of a text with its line breaks, and, when cut, how long it is in all. */
export function TextPreview({ text }: { text: string }) {
  const cut = text.length > PREVIEW_CHARS;
  return (
    <>
      <span className="text-preview">{cut ? `${text.slice(0, PREVIEW_CHARS)}…` : text}</span>
      {cut && <span className="muted text-length"> ({plural(text.length, 'character')} in all)</span>}
    </>
  );
}
