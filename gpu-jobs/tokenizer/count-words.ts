// The training corpus as word counts, words cut exactly as the tokenizer cuts them when encoding.
import { pretokenize } from "../../encoders/index.ts";

/** Word → frequency over a corpus; identical texts are segmented once. */
export function countWords(texts: Iterable<string>, sortTerms: boolean): Map<string, number> {
  const byText = new Map<string, number>();
  for (const t of texts) byText.set(t, (byText.get(t) ?? 0) + 1);
  const counts = new Map<string, number>();
  for (const [text, n] of byText) {
    for (const w of pretokenize(text, sortTerms)) counts.set(w, (counts.get(w) ?? 0) + n);
  }
  return counts;
}
