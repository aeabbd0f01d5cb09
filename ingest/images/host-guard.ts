// Which hosts the importer may fetch from. A catalog is outside input: its image URLs must not
// make the importer reach the machine it runs on or the network behind it (SSRF), so loopback,
// private, link-local and other special-purpose addresses are refused unless the operator allows
// them. Names are checked after DNS resolution, and every redirect hop is checked again.
// (A name that resolves differently between this check and the connection is not caught.)
import { lookup as dnsLookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, cloud metadata
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15], // benchmarking
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) {
  BLOCKED.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["ff00::", 8], // multicast
  ["64:ff9b::", 96], // NAT64 of an IPv4 address
] as const) {
  BLOCKED.addSubnet(net, prefix, "ipv6");
}

/** Whether an IP address is loopback, private, link-local or otherwise not a public host. */
export function isPrivateAddress(ip: string): boolean {
  const v = isIP(ip);
  if (v === 4) return BLOCKED.check(ip, "ipv4");
  if (v !== 6) return false;
  // An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is the IPv4 host.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return BLOCKED.check(mapped[1]!, "ipv4");
  return BLOCKED.check(ip, "ipv6");
}

/** Resolves a host name to its addresses (dns.lookup's shape; injectable for tests). */
export type HostLookup = (hostname: string) => Promise<string[]>;

const systemLookup: HostLookup = async (hostname) => (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/** Why `url`'s host may not be fetched, or null; names the flag that allows it. */
export async function privateHostProblem(url: string, lookup: HostLookup = systemLookup): Promise<string | null> {
  // WHATWG URL parsing has already normalised numeric forms (0x7f000001, 2130706433 → 127.0.0.1).
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  const refuse = (ip: string) => `refused: ${host}${ip === host ? "" : ` (${ip})`} is a loopback or private address; pass --allow-private-hosts to fetch from it`;
  if (isIP(host)) return isPrivateAddress(host) ? refuse(host) : null;
  if (host === "localhost" || host.endsWith(".localhost")) return refuse("127.0.0.1");
  const addresses = await lookup(host);
  const bad = addresses.find(isPrivateAddress);
  return bad === undefined ? null : refuse(bad);
}
