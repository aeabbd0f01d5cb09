import { cut } from "jieba-wasm";
import { normalize } from "./normalize.ts";

// Han runs go to jieba (a dictionary segmenter compiled to wasm, so the same code runs in Node
// and Workers); Intl.Segmenter alone splits 连衣裙 into single characters. Everything else is
// split on the spaces normalisation left.
const HAN_RUN = /(\p{Script=Han}+)/u;
const HAS_HAN = /\p{Script=Han}/u;

/** Split a Han run into dictionary words (HMM on for unseen words). */
function cutHan(run: string): string[] {
  return cut(run, true)
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

/** Whether segmenting `text` needs jieba's dictionary (it has Han characters once normalised). */
export function needsDictionary(text: string): boolean {
  return HAS_HAN.test(normalize(text));
}

/** Normalise then segment text into terms: latin by words, CJK by dictionary. */
export function segment(text: string): string[] {
  const norm = normalize(text);
  if (norm.length === 0) return [];
  const terms: string[] = [];
  for (const chunk of norm.split(" ")) {
    if (!HAS_HAN.test(chunk)) {
      if (chunk.length > 0) terms.push(chunk);
      continue;
    }
    for (const part of chunk.split(HAN_RUN)) {
      if (part.length === 0) continue;
      if (HAS_HAN.test(part)) terms.push(...cutHan(part));
      else terms.push(part);
    }
  }
  return terms;
}
