// Text → words, the same way at training and at encode time: core's segment (normalise, latin by
// words, Han runs by jieba, so 连衣裙 stays one word), then seed 001's lexicographic sort.
import { segment } from "../core/index.ts";

/** Words of a text as the tokenizer sees them; sorted (UTF-16 order, as canonicalTerms) when `sortTerms`. */
export function pretokenize(text: string, sortTerms: boolean): string[] {
  const words = segment(text).filter((w) => w.length > 0);
  return sortTerms ? words.sort() : words;
}
