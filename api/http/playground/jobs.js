// The jobs panel: list jobs, trigger a retrain (admin key), follow one live over server-sent events.
import { $, api, el, key, setStatus, trpcUrl } from "./common.js";

let watching = null;

function showJob(job) {
  $("job-live").hidden = false;
  $("job-title").textContent = `${job.kind} ${job.id}`;
  const state = $("job-state");
  state.textContent = job.state;
  state.className = `badge ${job.state === "succeeded" ? "ok" : job.state === "running" || job.state === "queued" ? "" : "bad"}`;
  const p = job.progress;
  $("job-stage").textContent = p
    ? `${p.stage}: ${p.done} / ${p.total} ${p.unit}${p.rate ? ` (${p.rate.toFixed(1)}/s)` : ""}`
    : job.error
      ? job.error
      : job.release
        ? `published ${job.release}`
        : (job.stages.find((s) => s.state === "running") || {}).name || "";
  $("job-progress").value = p && p.total > 0 ? p.done / p.total : job.state === "succeeded" ? 1 : 0;
  $("job-cancel").hidden = !(job.state === "running" || job.state === "queued");
  $("job-cancel").dataset.id = job.id;
}

function logLine(line) {
  const log = $("job-log");
  log.textContent = `${log.textContent}${line}\n`.split("\n").slice(-200).join("\n");
  log.scrollTop = log.scrollHeight;
}

/**
 * Follow a job over server-sent events (tRPC's jobs.watch). EventSource cannot send the key, so the
 * stream is read with fetch: blocks of "event:"/"data:" lines; plain data lines carry a JobEvent.
 */
async function watch(id) {
  watching?.abort();
  const ctl = new AbortController();
  watching = ctl;
  $("job-log").textContent = "";
  try {
    const res = await fetch(trpcUrl("jobs.watch", { id }), { headers: { authorization: `Bearer ${key()}`, accept: "text/event-stream" }, signal: ctl.signal });
    if (!res.ok || !res.body) throw new Error(`watch: HTTP ${res.status}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut = buffer.indexOf("\n\n");
      while (cut >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let event = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
        }
        if (event === "message" && data.length) {
          const ev = JSON.parse(data.join("\n"));
          showJob(ev.job);
          if (ev.type === "log" && ev.line) logLine(ev.line);
        } else if (event === "serialized-error") {
          const e = JSON.parse(data.join("\n") || "null");
          setStatus($("jobs-status"), (e && e.message) || "the job stream failed", true);
        }
        cut = buffer.indexOf("\n\n");
      }
    }
    void refreshJobs();
  } catch (err) {
    if (err.name !== "AbortError") setStatus($("jobs-status"), err.message, true);
  }
}

/** Reload the jobs table (and follow a running job). */
export async function refreshJobs() {
  if (!key()) return;
  try {
    const { jobs } = (await api(trpcUrl("jobs.list", { limit: 8 }))).result.data;
    $("jobs-table")
      .querySelector("tbody")
      .replaceChildren(
        ...jobs.map((j) =>
          el(
            "tr",
            {},
            el("td", { text: j.id }),
            el("td", { text: j.kind }),
            el("td", { text: j.state }),
            el("td", { text: j.release || "" }),
            el("td", {}, el("button", { type: "button", "data-watch": j.id, text: "watch" })),
          ),
        ),
      );
    setStatus($("jobs-status"), jobs.length ? "" : "No jobs yet.");
    const live = jobs.find((j) => j.state === "running" || j.state === "queued");
    if (live && !watching) void watch(live.id);
  } catch (err) {
    setStatus($("jobs-status"), err.status === 403 ? "This key may not see jobs (a search key)." : err.code === "UNAVAILABLE" ? "This server runs no jobs." : err.message, err.status !== 403);
  }
}

$("jobs-table").addEventListener("click", (e) => {
  const id = e.target instanceof HTMLElement ? e.target.dataset.watch : undefined;
  if (id) void watch(id);
});
$("jobs-refresh").addEventListener("click", () => void refreshJobs());
$("retrain-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const job = (await api("/trpc/jobs.trigger", { body: { kind: "retrain", config: { preset: $("preset").value } } })).result.data;
    setStatus($("jobs-status"), `triggered ${job.id}`);
    showJob(job);
    void watch(job.id);
    void refreshJobs();
  } catch (err) {
    setStatus($("jobs-status"), err.status === 403 ? "Retraining needs an admin key." : err.message, true);
  }
});
$("job-cancel").addEventListener("click", async () => {
  try {
    showJob((await api("/trpc/jobs.cancel", { body: { id: $("job-cancel").dataset.id } })).result.data);
  } catch (err) {
    setStatus($("jobs-status"), err.message, true);
  }
});
