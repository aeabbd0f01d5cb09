// Text normalisation shared by qid, tokeniser and lexicon: the same string must give the same
// terms in Node at publish time and in a Worker at request time, so nothing here touches Node APIs.

const PUNCT = /[\p{P}\p{S}\p{Cc}\p{Cf}]+/gu;
const SPACE = /[\s\p{Z}]+/gu;

/** NFKC, lower case, punctuation and symbols to spaces, collapsed and trimmed. */
export function normalize(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(PUNCT, " ").replace(SPACE, " ").trim();
}
