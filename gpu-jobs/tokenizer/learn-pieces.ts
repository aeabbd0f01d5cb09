// Learns the WordPiece vocabulary with BPE-style merges (as HuggingFace's WordPiece trainer does):
// start from characters (`c` word-initial, `##c` inside a word), repeatedly merge the most frequent
// adjacent pair, add the merged piece. Deterministic: words are visited in sorted order and ties
// between pairs go to the lexicographically smaller (left, right).

/** What to learn. */
export interface LearnOptions {
  /** Target number of pieces, excluding special tokens. */
  budget: number;
  /** Characters seen fewer times are unknown; pairs seen fewer times are not merged. */
  minFreq: number;
}

/** The learned pieces, in vocabulary order, and how they came about. */
export interface LearnedPieces {
  /** Alphabet (`c` and `##c` for each kept character, sorted) then merged pieces in merge order. */
  pieces: string[];
  /** Distinct characters kept in the alphabet. */
  alphabet: number;
  /** Characters dropped for being rarer than minFreq (they encode as [UNK]). */
  droppedChars: number;
  /** Merges performed (some produce a piece already in the vocabulary). */
  merges: number;
}

const CONT = "##";
const SEP = "\u0000";

/** Learn up to `budget` pieces from word frequencies. */
export function learnPieces(wordCounts: Map<string, number>, opts: LearnOptions): LearnedPieces {
  const words = [...wordCounts.keys()].sort();
  const charFreq = new Map<string, number>();
  for (const w of words) {
    const n = wordCounts.get(w)!;
    for (const c of w) charFreq.set(c, (charFreq.get(c) ?? 0) + n);
  }
  // Most frequent characters first when the budget cannot hold both forms of every character.
  let chars = [...charFreq].filter(([, n]) => n >= opts.minFreq);
  const maxChars = Math.floor(opts.budget / 2);
  if (chars.length > maxChars) chars = chars.sort((a, b) => b[1] - a[1] || cmp(a[0], b[0])).slice(0, maxChars);
  const kept = new Set(chars.map(([c]) => c));
  const alphabet = [...kept].sort();
  const pieces = [...alphabet, ...alphabet.map((c) => CONT + c)];
  const known = new Set(pieces);

  // Each word as a symbol list; null marks an unknown character that no merge may cross.
  const syms: (string | null)[][] = words.map((w) => [...w].map((c, i) => (kept.has(c) ? (i === 0 ? c : CONT + c) : null)));
  const freq = words.map((w) => wordCounts.get(w)!);
  const pairCount = new Map<string, number>();
  const pairWords = new Map<string, Set<number>>();
  const heap = new PairHeap();
  const touch = (key: string) => heap.push(pairCount.get(key) ?? 0, key);
  const addWord = (wi: number, sign: 1 | -1, changed: Set<string>) => {
    const s = syms[wi]!;
    for (let i = 0; i + 1 < s.length; i++) {
      const a = s[i];
      const b = s[i + 1];
      if (a == null || b == null) continue;
      const key = a + SEP + b;
      pairCount.set(key, (pairCount.get(key) ?? 0) + sign * freq[wi]!);
      if (sign > 0) {
        let set = pairWords.get(key);
        if (!set) pairWords.set(key, (set = new Set()));
        set.add(wi);
      }
      changed.add(key);
    }
  };
  const initial = new Set<string>();
  for (let wi = 0; wi < syms.length; wi++) addWord(wi, 1, initial);
  for (const key of initial) touch(key);

  let merges = 0;
  while (pieces.length < opts.budget) {
    const best = heap.popValid(pairCount);
    if (!best || best.count < opts.minFreq) break;
    const [a, b] = best.key.split(SEP) as [string, string];
    const merged = a + b.slice(CONT.length);
    merges++;
    if (!known.has(merged)) {
      known.add(merged);
      pieces.push(merged);
    }
    const changed = new Set<string>();
    const affected = [...pairWords.get(best.key)!].sort((x, y) => x - y);
    for (const wi of affected) {
      addWord(wi, -1, changed);
      const s = syms[wi]!;
      const out: (string | null)[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          out.push(merged);
          i++;
        } else out.push(s[i]!);
      }
      syms[wi] = out;
      addWord(wi, 1, changed);
    }
    pairWords.delete(best.key);
    pairCount.delete(best.key);
    for (const key of changed) if (key !== best.key) touch(key);
  }
  return { pieces, alphabet: alphabet.length, droppedChars: charFreq.size - kept.size, merges };
}

function cmp(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Max-heap of (count, key) with lazy deletion: stale entries are skipped when popped. */
class PairHeap {
  private counts: number[] = [];
  private keys: string[] = [];

  push(count: number, key: string): void {
    if (count <= 0) return;
    this.counts.push(count);
    this.keys.push(key);
    let i = this.counts.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  /** Pop until an entry matches the live count of its pair. */
  popValid(live: Map<string, number>): { count: number; key: string } | null {
    while (this.counts.length > 0) {
      const count = this.counts[0]!;
      const key = this.keys[0]!;
      this.popTop();
      if (live.get(key) === count) return { count, key };
    }
    return null;
  }

  // Higher count first; equal counts: smaller key (left piece, then right piece) first.
  private before(i: number, j: number): boolean {
    const ci = this.counts[i]!;
    const cj = this.counts[j]!;
    return ci !== cj ? ci > cj : this.keys[i]! < this.keys[j]!;
  }

  private popTop(): void {
    const lastC = this.counts.pop()!;
    const lastK = this.keys.pop()!;
    if (this.counts.length === 0) return;
    this.counts[0] = lastC;
    this.keys[0] = lastK;
    let i = 0;
    const n = this.counts.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.before(l, m)) m = l;
      if (r < n && this.before(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j]!, this.counts[i]!];
    [this.keys[i], this.keys[j]] = [this.keys[j]!, this.keys[i]!];
  }
}
