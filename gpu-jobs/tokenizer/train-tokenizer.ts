// Trains the tokenizer from the user's corpus (titles + queries) at pre-training (DESIGN §4).
import { TrainError } from "../errors.ts";
import { learnPieces } from "./learn-pieces.ts";
import { SPECIAL_PIECES, TOKENIZER_FORMAT, Tokenizer } from "../../encoders/index.ts";
import { countWords } from "./count-words.ts";

/** How to train. */
export interface TrainTokenizerOptions {
  /** Vocabulary size including the 5 special tokens (default 4000); the result may be smaller on a small corpus. */
  vocabSize?: number;
  /** Characters and merges seen fewer times than this are left out (default 2). */
  minFreq?: number;
  /** Sort a text's segmented words lexicographically before tokenising, as seed 001 (default true). */
  sortTerms?: boolean;
  /** Words longer than this many characters encode as one [UNK] (default 100). */
  maxCharsPerWord?: number;
}

/** Train a deterministic, CJK-aware WordPiece tokenizer on texts (same texts and options → same vocabulary). */
export function trainTokenizer(texts: Iterable<string>, opts: TrainTokenizerOptions = {}): Tokenizer {
  const vocabSize = opts.vocabSize ?? 4000;
  const minFreq = opts.minFreq ?? 2;
  const sortTerms = opts.sortTerms ?? true;
  const maxCharsPerWord = opts.maxCharsPerWord ?? 100;
  if (!Number.isInteger(vocabSize) || vocabSize <= SPECIAL_PIECES.length) {
    throw new TrainError("BAD_OPTION", `tokenizer vocabSize must be an integer above ${SPECIAL_PIECES.length}, got ${vocabSize}`);
  }
  if (!Number.isInteger(minFreq) || minFreq < 1) throw new TrainError("BAD_OPTION", `tokenizer minFreq must be a positive integer, got ${minFreq}`);
  if (!Number.isInteger(maxCharsPerWord) || maxCharsPerWord < 1) {
    throw new TrainError("BAD_OPTION", `tokenizer maxCharsPerWord must be a positive integer, got ${maxCharsPerWord}`);
  }
  let count = 0;
  const counted = (function* () {
    for (const t of texts) {
      count++;
      yield t;
    }
  })();
  const words = countWords(counted, sortTerms);
  const learned = learnPieces(words, { budget: vocabSize - SPECIAL_PIECES.length, minFreq });
  return new Tokenizer({
    format: TOKENIZER_FORMAT,
    sortTerms,
    maxCharsPerWord,
    vocab: [...SPECIAL_PIECES, ...learned.pieces],
    stats: {
      requestedVocabSize: vocabSize,
      minFreq,
      texts: count,
      distinctWords: words.size,
      alphabet: learned.alphabet,
      droppedChars: learned.droppedChars,
      merges: learned.merges,
    },
  });
}
