/** A class picked by its label word; a label with no word (after removing a class) shows as unknown. */
export function LabelSelect({ label, value, labelWords, onChange, className }: { label: string; value: number; labelWords: readonly string[]; onChange: (v: number) => void; className?: string }) {
  const known = value >= 0 && value < labelWords.length;
  return (
    <select className={className} aria-label={label} value={value} onChange={(e) => onChange(Number(e.target.value))}>
      {!known && <option value={value}>unknown ({value})</option>}
      {labelWords.map((word, id) => (
        <option key={id} value={id}>
          {word || `class ${id}`}
        </option>
      ))}
    </select>
  );
}
