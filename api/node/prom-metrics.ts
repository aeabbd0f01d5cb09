// prom-client behind the app's MetricsRecorder: a request counter and a latency histogram by
// method, route and status; search analytics (searches by operation, path served and whether the
// edge forwarded them, zero-result searches, items returned, search latency); the active release
// as a gauge; plus the default process metrics. Node only.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { MetricsRecorder } from "../http/index.ts";

/** Options of createPromMetrics. */
export interface PromMetricsOptions {
  /** Registry to register on (default: a new one, so several servers in one process do not clash). */
  registry?: Registry;
  /** Also collect Node's default process metrics (default true). */
  defaultMetrics?: boolean;
}

/** A MetricsRecorder backed by prom-client. */
export function createPromMetrics(options: PromMetricsOptions = {}): MetricsRecorder & { registry: Registry } {
  const registry = options.registry ?? new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "vitrine_" });
  const labelNames = ["method", "route", "status"] as const;
  const requests = new Counter({ name: "vitrine_http_requests_total", help: "HTTP requests by method, route and status", labelNames, registers: [registry] });
  const latency = new Histogram({
    name: "vitrine_http_request_duration_seconds",
    help: "HTTP request latency by method, route and status",
    labelNames,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  // Labels are bounded: op (2 values), path (4), via (2).
  const searchLabels = ["op", "path", "via"] as const;
  const searches = new Counter({
    name: "vitrine_search_requests_total",
    help: "Answered searches by operation, path served (qid, ann, qid+ann, similar) and via (direct, edge)",
    labelNames: searchLabels,
    registers: [registry],
  });
  const zero = new Counter({
    name: "vitrine_search_zero_results_total",
    help: "Answered searches that returned no items (zero-result rate: this over vitrine_search_requests_total)",
    labelNames: searchLabels,
    registers: [registry],
  });
  const items = new Histogram({
    name: "vitrine_search_items_returned",
    help: "Items returned per answered search",
    labelNames: ["op"],
    buckets: [0, 1, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [registry],
  });
  const searchLatency = new Histogram({
    name: "vitrine_search_duration_seconds",
    help: "Search latency (the service's work, without HTTP) by operation and path",
    labelNames: ["op", "path"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const active = new Gauge({ name: "vitrine_active_release", help: "1 for the release serving now (label release); no series while none is active", labelNames: ["release"], registers: [registry] });
  let activeRelease: string | null = null;
  return {
    registry,
    observe({ method, route, status, ms }) {
      const labels = { method, route, status: String(status) };
      requests.inc(labels);
      latency.observe(labels, ms / 1000);
    },
    observeSearch({ op, path, via, items: n, ms }) {
      const labels = { op, path, via };
      searches.inc(labels);
      if (n === 0) zero.inc(labels);
      items.observe({ op }, n);
      searchLatency.observe({ op, path }, ms / 1000);
    },
    setActiveRelease(release) {
      if (release === activeRelease) return;
      active.reset();
      if (release !== null) active.set({ release }, 1);
      activeRelease = release;
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
