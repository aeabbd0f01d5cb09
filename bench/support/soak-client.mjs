// Traffic for bench/soak.ts, in a child process so it does not share the server's event loop.
// Reads a job as JSON on stdin, sends open-loop traffic at a fixed rate until `until` (epoch ms),
// writes what it saw as JSON on stdout. Plain JS so it runs without tsx. With `windows`
// ([start, end] epoch ms), it sends only inside them and idles between (started once, so its own
// start-up does not land in a window).
//   role "good":    well-behaved keyed clients: each request is timed ([sentAt epoch ms, ms, status, kind]).
//   role "hostile": the attack mix: counts per kind and status (latency is not the point).
// Open loop: requests leave on schedule whether or not earlier ones came back (up to maxInFlight;
// what the cap skips is counted), so a slow server cannot slow the generator into hiding it.

let input = "";
for await (const chunk of process.stdin) input += chunk;
/** @type {{ url: string, until: number, windows?: [number, number][], role: "good" | "hostile", rate: number, maxInFlight: number, requests: { kind: string, method: string, path: string, key: string | null, body: string | null }[] }} */
const job = JSON.parse(input);

const samples = [];
const counts = {};
let skipped = 0;
let inFlight = 0;
const count = (kind, status) => {
  const k = (counts[kind] ??= {});
  k[status] = (k[status] ?? 0) + 1;
};

async function send(r) {
  const headers = {};
  if (r.key !== null) headers.authorization = `Bearer ${r.key}`;
  if (r.body !== null) headers["content-type"] = "application/json";
  const sentAt = Date.now();
  const t0 = performance.now();
  let status;
  try {
    const res = await fetch(job.url + r.path, { method: r.method, headers, ...(r.body !== null ? { body: r.body } : {}) });
    await res.arrayBuffer();
    status = res.status;
  } catch {
    // Refused before its body was read, a large keyless body may see the connection closed under it.
    status = "neterr";
  }
  const ms = performance.now() - t0;
  if (job.role === "good") samples.push([sentAt, Math.round(ms * 1000) / 1000, status, r.kind]);
  count(r.kind, status);
}

const interval = 1000 / job.rate;
let next = performance.now();
let i = 0;
const pending = new Set();
const windows = job.windows ?? [[0, job.until]];
while (Date.now() < job.until) {
  const wall = Date.now();
  if (!windows.some(([a, b]) => wall >= a && wall < b)) {
    const upcoming = windows.find(([a]) => a > wall);
    if (!upcoming) break;
    await new Promise((res) => setTimeout(res, Math.min(upcoming[0] - wall, 200)));
    next = performance.now();
    continue;
  }
  const now = performance.now();
  if (now < next) {
    await new Promise((res) => setTimeout(res, Math.min(next - now, 50)));
    continue;
  }
  next += interval;
  // Behind schedule by more than a second (the machine stalled): do not fire a burst to catch up.
  if (performance.now() - next > 1000) next = performance.now();
  const r = job.requests[i++ % job.requests.length];
  if (inFlight >= job.maxInFlight) {
    skipped++;
    continue;
  }
  inFlight++;
  const p = send(r).finally(() => {
    inFlight--;
    pending.delete(p);
  });
  pending.add(p);
}
await Promise.allSettled([...pending]);
process.stdout.write(JSON.stringify({ samples, counts, skipped, sent: i }));
