// prom-client behind the app's MetricsRecorder: a request counter and a latency histogram by
// method, route and status, plus the default process metrics. Node only.
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";
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
  return {
    registry,
    observe({ method, route, status, ms }) {
      const labels = { method, route, status: String(status) };
      requests.inc(labels);
      latency.observe(labels, ms / 1000);
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
