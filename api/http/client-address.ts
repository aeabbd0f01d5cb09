// The client address a request is limited by when it has no usable key. Runtime-agnostic: the
// runtime hands in the socket's address (Node) or the platform's header (Workers); this file only
// decides which address counts and how addresses group into buckets.

/**
 * The address that counts for a request: the socket's peer, or — only when the operator says how
 * many proxies of theirs sit in front (`trustProxyHops` ≥ 1) — the entry of X-Forwarded-For that
 * the outermost trusted proxy saw. Entries left of it are whatever the client wrote and are never
 * used: trusting the leftmost entry would let every request pick its own bucket.
 */
export function clientAddressOf(socketAddress: string | null | undefined, forwardedFor: string | null | undefined, trustProxyHops: number): string | null {
  if (trustProxyHops <= 0 || !forwardedFor) return socketAddress ?? null;
  const hops = forwardedFor
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  // Each trusted proxy appended the address it saw; the last `trustProxyHops` entries are theirs.
  const i = hops.length - trustProxyHops;
  if (i < 0) return hops[0] ?? socketAddress ?? null;
  return hops[i] ?? socketAddress ?? null;
}

/** Expand an IPv6 address to its 8 hextets, or null when it is not one. */
function hextets(addr: string): string[] | null {
  const zone = addr.indexOf("%");
  const a = (zone >= 0 ? addr.slice(0, zone) : addr).toLowerCase();
  if (!/^[0-9a-f:.]+$/.test(a) || !a.includes(":")) return null;
  const [head, tail, extra] = a.split("::");
  if (extra !== undefined) return null;
  const part = (s: string | undefined) => (s ? s.split(":") : []);
  const h = part(head);
  const t = part(tail);
  // An embedded IPv4 tail (::ffff:1.2.3.4) is two hextets.
  const last = t.length ? t : h;
  const v4 = last.at(-1)?.includes(".") ? last.pop()! : null;
  if (v4 !== null) {
    const o = v4.split(".").map(Number);
    if (o.length !== 4 || o.some((x) => !(x >= 0 && x <= 255))) return null;
    last.push(((o[0]! << 8) | o[1]!).toString(16), ((o[2]! << 8) | o[3]!).toString(16));
  }
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  if (fill < 0 || (tail === undefined && h.length !== 8)) return null;
  const all = [...h, ...Array<string>(fill).fill("0"), ...t];
  return all.length === 8 && all.every((x) => /^[0-9a-f]{1,4}$/.test(x)) ? all.map((x) => x.replace(/^0+(?=.)/, "")) : null;
}

/**
 * The limiter bucket of an address: IPv4 as is, IPv4-mapped IPv6 as its IPv4, other IPv6 by its /64
 * (one host usually holds a whole /64, so per-address buckets there would be free for the taking).
 * Unknown addresses share one bucket.
 */
export function addressBucket(address: string | null | undefined): string {
  if (!address) return "unknown";
  const a = address.trim();
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(a)) return a;
  const h = hextets(a);
  if (!h) return `other:${a.slice(0, 64)}`;
  if (h.slice(0, 5).every((x) => x === "0") && h[5] === "ffff") {
    const n = (x: string) => parseInt(x, 16);
    return [n(h[6]!) >> 8, n(h[6]!) & 255, n(h[7]!) >> 8, n(h[7]!) & 255].join(".");
  }
  return `${h.slice(0, 4).join(":")}::/64`;
}
