/** A count with its noun, for every message that states one: "1 row", "2,048 rows", "3 classes". */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? noun : nouns}`;
}
