// MurmurHash3 x86_32 (Austin Appleby, public domain), over UTF-8 bytes. Written out here because
// qids must be bit-identical in Node and Workers and the algorithm is twenty lines.

const encoder = new TextEncoder();

/** MurmurHash3 x86_32 of a string's UTF-8 bytes (or raw bytes) as an unsigned 32-bit integer. */
export function murmur3(input: string | Uint8Array, seed = 0): number {
  const data = typeof input === "string" ? encoder.encode(input) : input;
  const len = data.length;
  const nblocks = len >>> 2;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h1 = seed >>> 0;

  for (let i = 0; i < nblocks; i++) {
    const o = i << 2;
    let k1 = data[o]! | (data[o + 1]! << 8) | (data[o + 2]! << 16) | (data[o + 3]! << 24);
    k1 = Math.imul(k1, c1);
    k1 = (k1 << 15) | (k1 >>> 17);
    k1 = Math.imul(k1, c2);
    h1 ^= k1;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
  }

  const tail = nblocks << 2;
  let k1 = 0;
  // The tail cases fall through by design (MurmurHash3 mixes 3, 2 then 1 trailing bytes).
  switch (len & 3) {
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: MurmurHash3's tail
    case 3:
      k1 ^= data[tail + 2]! << 16;
    // falls through
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: MurmurHash3's tail
    case 2:
      k1 ^= data[tail + 1]! << 8;
    // falls through
    case 1:
      k1 ^= data[tail]!;
      k1 = Math.imul(k1, c1);
      k1 = (k1 << 15) | (k1 >>> 17);
      k1 = Math.imul(k1, c2);
      h1 ^= k1;
  }

  h1 ^= len;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return h1 >>> 0;
}
