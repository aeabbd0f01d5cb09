// The line protocol between a job process and the manager: the job writes events to stdout as
// `::vitrine-event <json>` lines; every other line of stdout or stderr is log. Plain lines work the
// same through a local child process and through `docker run` (the container runner).
import type { GateDecision, JobProgress, StageName, StageRecord } from "./types.ts";

/** Prefix of an event line. */
export const EVENT_PREFIX = "::vitrine-event ";

/** What a job process reports. */
export type ChildEvent =
  | { t: "stage"; stage: StageName; state: StageRecord["state"]; metrics?: StageRecord["metrics"] }
  | { t: "progress"; progress: JobProgress }
  | { t: "gate"; gate: GateDecision }
  | { t: "release"; release: string };

/** Encode an event as one line (no newline). */
export const encodeEvent = (e: ChildEvent): string => `${EVENT_PREFIX}${JSON.stringify(e)}`;

/** Parse a line: an event, or null for a log line (or a malformed event, which is logged). */
export function parseEventLine(line: string): ChildEvent | null {
  if (!line.startsWith(EVENT_PREFIX)) return null;
  try {
    const e = JSON.parse(line.slice(EVENT_PREFIX.length)) as ChildEvent;
    return e && typeof e === "object" && typeof e.t === "string" ? e : null;
  } catch {
    return null;
  }
}
