// What the app needs from logging and metrics, as small interfaces: api/node plugs in pino and
// prom-client, a Worker can plug in console and nothing; the app imports neither.

/** Structured logger (pino's call shape: fields first, then the message). */
export interface AppLogger {
  /** Routine events (one line per request). */
  info(fields: Record<string, unknown>, msg: string): void;
  /** Client-caused problems worth noticing. */
  warn(fields: Record<string, unknown>, msg: string): void;
  /** Server faults (every 5xx). */
  error(fields: Record<string, unknown>, msg: string): void;
}

/** One finished request, as the metrics see it. */
export interface RequestSample {
  /** HTTP method. */
  method: string;
  /** Route pattern (bounded cardinality: never the raw path). */
  route: string;
  /** Response status. */
  status: number;
  /** Wall time in milliseconds. */
  ms: number;
}

/** One answered search (retrieve or similar), as the search analytics see it. */
export interface SearchSample {
  /** The operation. */
  op: "retrieve" | "similar";
  /** The path that served the page: qid, ann, qid+ann (retrieve) or similar. */
  path: "qid" | "ann" | "qid+ann" | "similar";
  /** Whether the request reached this server directly or forwarded by the edge Worker. */
  via: "direct" | "edge";
  /** Items returned. */
  items: number;
  /** Wall time of the search in milliseconds. */
  ms: number;
  /** The release that answered. */
  release: string;
}

/** Prometheus exposition text and its content type. */
export interface MetricsText {
  /** Value for the Content-Type header. */
  contentType: string;
  /** The exposition body. */
  body: string;
}

/** Records request metrics and renders them for /metrics. */
export interface MetricsRecorder {
  /** Count and time one finished request. */
  observe(sample: RequestSample): void;
  /** Count one answered search: by path, zero results, items returned (optional: recorders without search analytics skip it). */
  observeSearch?(sample: SearchSample): void;
  /** The release serving now (null: none), set before each render. */
  setActiveRelease?(release: string | null): void;
  /** Current metrics as Prometheus text. */
  render(): MetricsText | Promise<MetricsText>;
}

/** A logger that drops everything. */
export const silentLogger: AppLogger = { info() {}, warn() {}, error() {} };

/** A recorder that records nothing and renders an empty exposition. */
export const noopMetrics: MetricsRecorder = {
  observe() {},
  render: () => ({ contentType: "text/plain; version=0.0.4; charset=utf-8", body: "" }),
};
