// Text → words, the same way at training and at encode time: core's segment (normalise, latin by
// words, Han runs by jieba, so 连衣裙 stays one word), then seed 001's lexicographic sort.
import { segment } from "../../core/segment.ts";

/** Words of a text as the tokenizer sees them; sorted (UTF-16 order, as canonicalTerms) when `sortTerms`. */
export function pretokenize(text: string, sortTerms: boolean): string[] {
  const words = segment(text).filter((w) => w.length > 0);
  return sortTerms ? words.sort() : words;
}

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
