// Requests for bench/hostile.ts, in a child process so the server's process does nothing but serve
// (its CPU time per request is then the server's alone). Forked with IPC: each message
// { id, url, requests: [{ method, path, key, body }], repeat } is answered, once every request was
// sent `repeat` times one after another (one in flight at a time), with
// { id, results: [{ status, ms, bytes }] } in send order. Plain JS so it runs without tsx.
// Two steps, so the parent's CPU for sending the job (large bodies over IPC) is not counted as the
// server's: the job is acknowledged with { id, ready: true }, and run on { id, go: true }.

const jobs = new Map();
process.on("message", async (m) => {
  if (!m.go) {
    jobs.set(m.id, m);
    process.send({ id: m.id, ready: true });
    return;
  }
  const job = jobs.get(m.id);
  jobs.delete(m.id);
  const results = [];
  for (let rep = 0; rep < job.repeat; rep++) {
    for (const r of job.requests) {
      const headers = {};
      if (r.key !== null) headers.authorization = `Bearer ${r.key}`;
      if (r.body !== null) headers["content-type"] = "application/json";
      const t0 = performance.now();
      let status;
      let bytes = 0;
      try {
        const res = await fetch(job.url + r.path, { method: r.method, headers, ...(r.body !== null ? { body: r.body } : {}), signal: AbortSignal.timeout(60_000) });
        if (process.env.HOSTILE_DEBUG) console.error(r.path, r.body?.length, res.status);
        bytes = (await res.arrayBuffer()).byteLength;
        status = res.status;
      } catch {
        // A refused large body may see its connection closed under it.
        status = "neterr";
      }
      results.push({ status, ms: performance.now() - t0, bytes });
    }
  }
  process.send({ id: job.id, results });
});
