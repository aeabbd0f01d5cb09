// The encode side of the WordPiece tokenizer: words from pretokenize, each split greedily into the
// longest vocabulary piece at every position (`##` marks a piece inside a word). No Node APIs, so
// the ONNX query encoder can run it in a Worker too.
//
// Saved format "vitrine-wordpiece-v1" (JSON, stored with each checkpoint):
//   { format: "vitrine-wordpiece-v1",
//     sortTerms: boolean,          // sort a text's segmented words before encoding (seed 001)
//     maxCharsPerWord: number,     // longer words encode as one [UNK]
//     vocab: string[],             // id → piece; ids 0..4 are [PAD] [UNK] [CLS] [SEP] [MASK]
//     stats: { ... } }             // how training went (informational; not used to encode)
import { TokenizerError } from "./errors.ts";
import { pretokenize } from "./pretokenize.ts";

/** Special tokens and their fixed ids. */
export const SPECIAL_TOKENS = { PAD: 0, UNK: 1, CLS: 2, SEP: 3, MASK: 4 } as const;
/** Special token strings in id order. */
export const SPECIAL_PIECES = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] as const;
/** Current saved-format tag. */
export const TOKENIZER_FORMAT = "vitrine-wordpiece-v1";

/** Training statistics saved beside the vocabulary. */
export interface TokenizerStats {
  /** vocabSize asked for. */
  requestedVocabSize: number;
  /** minFreq used. */
  minFreq: number;
  /** Texts in the training corpus. */
  texts: number;
  /** Distinct words after segmentation. */
  distinctWords: number;
  /** Distinct characters kept (each as `c` and `##c`). */
  alphabet: number;
  /** Characters rarer than minFreq (encode as [UNK]). */
  droppedChars: number;
  /** BPE merges performed. */
  merges: number;
}

/** The saved form of a tokenizer. */
export interface TokenizerJson {
  /** Format tag: "vitrine-wordpiece-v1". */
  format: typeof TOKENIZER_FORMAT;
  /** Sort segmented words lexicographically before encoding. */
  sortTerms: boolean;
  /** Words longer than this (in code points) become one [UNK]. */
  maxCharsPerWord: number;
  /** Pieces by id. */
  vocab: string[];
  /** Training statistics (informational). */
  stats: TokenizerStats;
}

const CONT = "##";
const CACHE_LIMIT = 100_000;

/** A trained WordPiece tokenizer: text → piece ids. */
export class Tokenizer {
  /** Number of pieces, specials included. */
  readonly vocabSize: number;
  private readonly ids: Map<string, number>;
  private readonly cache = new Map<string, number[]>();
  private readonly longestPiece: number;

  constructor(private readonly json: TokenizerJson) {
    this.vocabSize = json.vocab.length;
    this.ids = new Map(json.vocab.map((p, i) => [p, i]));
    let longest = 1;
    for (const p of json.vocab) longest = Math.max(longest, [...(p.startsWith(CONT) ? p.slice(CONT.length) : p)].length);
    this.longestPiece = longest;
  }

  /** Rebuild a tokenizer saved with toJSON (object or JSON text); fails with BAD_CHECKPOINT if malformed. */
  static fromJSON(json: TokenizerJson | string): Tokenizer {
    let o: unknown;
    try {
      o = typeof json === "string" ? JSON.parse(json) : json;
    } catch (err) {
      throw new TokenizerError("BAD_CHECKPOINT", `tokenizer JSON does not parse (${(err as Error).message})`);
    }
    return new Tokenizer(checkJson(o));
  }

  /** Whether words are sorted before encoding. */
  get sortTerms(): boolean {
    return this.json.sortTerms;
  }

  /** The piece of an id ("[UNK]" for an id out of range). */
  idToToken(id: number): string {
    return this.json.vocab[id] ?? SPECIAL_PIECES[SPECIAL_TOKENS.UNK];
  }

  /** The id of a piece, or undefined. */
  tokenToId(piece: string): number | undefined {
    return this.ids.get(piece);
  }

  /** Piece ids of a text, unpadded and untruncated (no [CLS]/[SEP]). */
  pieceIds(text: string): number[] {
    const out: number[] = [];
    for (const w of pretokenize(text, this.json.sortTerms)) for (const id of this.wordIds(w)) out.push(id);
    return out;
  }

  /** Pieces of a text as strings (for inspection). */
  tokenize(text: string): string[] {
    return this.pieceIds(text).map((id) => this.idToToken(id));
  }

  /** maxLen ids: the text's pieces truncated, then [PAD]=0. The model adds [CLS]. */
  encode(text: string, maxLen: number): Int32Array {
    const out = new Int32Array(checkLen(maxLen));
    this.encodeInto(text, out, 0, maxLen);
    return out;
  }

  /** B×maxLen ids, row-major, one row per text as encode. */
  encodeBatch(texts: readonly string[], maxLen: number): Int32Array {
    const out = new Int32Array(texts.length * checkLen(maxLen));
    for (let i = 0; i < texts.length; i++) this.encodeInto(texts[i]!, out, i * maxLen, maxLen);
    return out;
  }

  /** The saved form; `JSON.stringify(tokenizer)` uses it. */
  toJSON(): TokenizerJson {
    return { format: TOKENIZER_FORMAT, sortTerms: this.json.sortTerms, maxCharsPerWord: this.json.maxCharsPerWord, vocab: [...this.json.vocab], stats: { ...this.json.stats } };
  }

  private encodeInto(text: string, out: Int32Array, at: number, maxLen: number): void {
    let n = 0;
    for (const w of pretokenize(text, this.json.sortTerms)) {
      for (const id of this.wordIds(w)) {
        if (n >= maxLen) return;
        out[at + n++] = id;
      }
    }
  }

  /** Greedy longest-match-first split of one word; an unmatched character becomes [UNK] alone. */
  private wordIds(word: string): number[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    const chars = [...word];
    const ids: number[] = [];
    if (chars.length > this.json.maxCharsPerWord) ids.push(SPECIAL_TOKENS.UNK);
    else {
      let start = 0;
      while (start < chars.length) {
        let end = Math.min(chars.length, start + this.longestPiece);
        let id: number | undefined;
        for (; end > start; end--) {
          const sub = chars.slice(start, end).join("");
          id = this.ids.get(start === 0 ? sub : CONT + sub);
          if (id !== undefined) break;
        }
        if (id === undefined || end === start) {
          ids.push(SPECIAL_TOKENS.UNK);
          start++;
        } else {
          ids.push(id);
          start = end;
        }
      }
    }
    // Bounded memo: titles repeat their words a lot; a flush keeps memory flat on huge corpora.
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, ids);
    return ids;
  }
}

function checkLen(maxLen: number): number {
  if (!Number.isInteger(maxLen) || maxLen < 1) throw new TokenizerError("BAD_OPTION", `maxLen must be a positive integer, got ${maxLen}`);
  return maxLen;
}

function checkJson(o: unknown): TokenizerJson {
  const bad = (why: string) => new TokenizerError("BAD_CHECKPOINT", `tokenizer JSON is not ${TOKENIZER_FORMAT}: ${why}`);
  if (typeof o !== "object" || o === null) throw bad("not an object");
  const j = o as Partial<TokenizerJson>;
  if (j.format !== TOKENIZER_FORMAT) throw bad(`format is ${JSON.stringify(j.format)}`);
  if (typeof j.sortTerms !== "boolean") throw bad("sortTerms is not a boolean");
  if (!Number.isInteger(j.maxCharsPerWord) || j.maxCharsPerWord! < 1) throw bad("maxCharsPerWord is not a positive integer");
  if (!Array.isArray(j.vocab) || !j.vocab.every((p) => typeof p === "string" && p.length > 0)) throw bad("vocab is not a list of pieces");
  if (SPECIAL_PIECES.some((p, i) => j.vocab![i] !== p)) throw bad(`vocab must start with ${SPECIAL_PIECES.join(" ")}`);
  if (new Set(j.vocab).size !== j.vocab.length) throw bad("vocab has duplicate pieces");
  if (typeof j.stats !== "object" || j.stats === null) throw bad("stats missing");
  return { format: TOKENIZER_FORMAT, sortTerms: j.sortTerms, maxCharsPerWord: j.maxCharsPerWord!, vocab: [...j.vocab], stats: { ...j.stats } };
}
