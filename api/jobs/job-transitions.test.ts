// The job state machine as tables: every job state × every event → the next state or CONFLICT,
// then what each event does to the stages, then the fields each legal transition writes. The
// records are deep-frozen, so a transition that mutated its input would throw here.
import { describe, expect, it } from "vitest";
import type { ChildEvent, GateDecision, JobProgress, JobRecord, JobState, StageRecord } from "../../core/jobs/index.ts";
import { JobError } from "./errors.ts";
import { newJobRecord, transition, type JobTransition } from "./job-transitions.ts";

const CREATED = "2026-01-01T00:00:00.000Z";
const STARTED = "2026-01-01T00:01:00.000Z";
const NOW = "2026-01-01T01:00:00.000Z";

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

type StageState = StageRecord["state"];
const STAGE_STATES: readonly StageState[] = ["pending", "running", "succeeded", "failed", "skipped"];

/** A pretrain job in `state`, as the manager would hold it (one stage, in `stage`). */
function job(state: JobState, over: Partial<JobRecord> = {}, stage: StageState = state === "running" ? "running" : "pending"): JobRecord {
  const base = newJobRecord({ id: "j1", kind: "pretrain", config: { preset: "tiny" }, triggeredBy: "ops" }, CREATED);
  const started = state !== "queued";
  const finished = !["queued", "running"].includes(state);
  return deepFreeze({
    ...base,
    state,
    startedAt: started ? STARTED : null,
    finishedAt: finished ? STARTED : null,
    attempts: started ? 1 : 0,
    pid: state === "running" ? 4242 : null,
    exit: finished ? { code: state === "succeeded" ? 0 : 1, signal: null } : null,
    error: finished && state !== "succeeded" ? "earlier" : null,
    resumable: finished && state !== "succeeded",
    stages: [{ ...base.stages[0]!, state: stage }],
    ...over,
  });
}

const PROGRESS = { stage: "pretrain", done: 1, total: 3, unit: "steps", rate: null, detail: {} } satisfies JobProgress;
const GATE = { slice: "unseen pairs", checks: [], pairs: 40, candidateRelease: "r002", activeRelease: "r001", tolerance: 0.01, passed: true, forced: false, message: "ok" } satisfies GateDecision;
const report = (event: ChildEvent): JobTransition => ({ type: "report", event });

/** One representative of each event (and of each way a process can end). */
const EVENTS = {
  start: { type: "start" },
  spawned: { type: "spawned", pid: 7 },
  "report progress": report({ t: "progress", progress: PROGRESS }),
  "report stage": report({ t: "stage", stage: "pretrain", state: "succeeded", metrics: { steps: 3 } }),
  "report gate": report({ t: "gate", gate: GATE }),
  "report release": report({ t: "release", release: "r002" }),
  "exit 0": { type: "exit", exit: { code: 0, signal: null }, stoppedBy: null },
  "exit 3": { type: "exit", exit: { code: 3, signal: null }, stoppedBy: null, logTail: ["step 1", "pretrain failed: bad input"] },
  "exit SIGKILL": { type: "exit", exit: { code: null, signal: "SIGKILL" }, stoppedBy: null },
  "exit after cancel": { type: "exit", exit: { code: null, signal: "SIGTERM" }, stoppedBy: "cancel" },
  "exit at shutdown": { type: "exit", exit: { code: null, signal: "SIGTERM" }, stoppedBy: "shutdown" },
  orphaned: { type: "orphaned" },
  cancel: { type: "cancel" },
  resume: { type: "resume" },
} satisfies Record<string, JobTransition>;
type EventName = keyof typeof EVENTS;

/** The starting records: every state, and the one record whose resumability differs from its state's. */
const FROM = {
  queued: job("queued"),
  running: job("running"),
  succeeded: job("succeeded"),
  failed: job("failed"),
  cancelled: job("cancelled"),
  interrupted: job("interrupted"),
  "cancelled before it started": job("cancelled", { startedAt: null, attempts: 0, exit: null, resumable: false }),
} satisfies Record<JobState | "cancelled before it started", JobRecord>;
type FromName = keyof typeof FROM;

const C = "CONFLICT";
type Outcome = JobState | typeof C;
/** One row of the table: the outcome from each of FROM's records, in FROM's order. */
const row = (...to: [Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome]): Record<FromName, Outcome> =>
  Object.fromEntries((Object.keys(FROM) as FromName[]).map((n, i) => [n, to[i]!])) as Record<FromName, Outcome>;
const __ = C;

const TABLE: Record<EventName, Record<FromName, Outcome>> = {
  //                      queued       running        succeeded  failed    cancelled   interrupted    cancelled before it started
  start: row("running", __, __, __, __, __, __),
  spawned: row(__, "running", __, __, __, __, __),
  "report progress": row(__, "running", __, __, __, __, __),
  "report stage": row(__, "running", __, __, __, __, __),
  "report gate": row(__, "running", __, __, __, __, __),
  "report release": row(__, "running", __, __, __, __, __),
  "exit 0": row(__, "succeeded", __, __, __, __, __),
  "exit 3": row(__, "failed", __, __, __, __, __),
  "exit SIGKILL": row(__, "failed", __, __, __, __, __),
  "exit after cancel": row(__, "cancelled", __, __, __, __, __),
  "exit at shutdown": row(__, "interrupted", __, __, __, __, __),
  orphaned: row(__, "interrupted", __, __, __, __, __),
  cancel: row("cancelled", "running", __, __, __, __, __),
  resume: row(__, __, __, "queued", "queued", "queued", __),
};

/** The CONFLICT messages the API has always given for the two requests a client can make. */
const CLIENT_MESSAGES: Partial<Record<EventName, string>> = {
  cancel: "only queued or running jobs can be cancelled",
  resume: "only failed, cancelled or interrupted jobs can be resumed",
};

describe("job transitions: state × event", () => {
  const cases = (Object.keys(TABLE) as EventName[]).flatMap((event) => (Object.keys(FROM) as FromName[]).map((from) => [from, event, TABLE[event][from]] as const));
  it.each(cases)("%s --%s--> %s", (from, event, to) => {
    const record = FROM[from];
    if (to === C) {
      let err: unknown;
      try {
        transition(record, EVENTS[event], NOW);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(JobError);
      expect(err).toMatchObject({ code: "CONFLICT" });
      expect((err as Error).message).toMatch(new RegExp(`^job j1 is ${record.state}; `));
      const message = CLIENT_MESSAGES[event];
      if (message) expect((err as Error).message).toBe(`job j1 is ${record.state}; ${message}`);
    } else {
      expect(transition(record, EVENTS[event], NOW).state).toBe(to);
    }
  });

  it("covers every state and every kind of event", () => {
    const states: JobState[] = ["queued", "running", "succeeded", "failed", "cancelled", "interrupted"];
    expect(states.every((s) => Object.values(FROM).some((r) => r.state === s))).toBe(true);
    const kinds = new Set(Object.values(EVENTS).map((e) => (e.type === "report" ? `report ${e.event.t}` : e.type)));
    expect([...kinds].sort()).toEqual(["cancel", "exit", "orphaned", "report gate", "report progress", "report release", "report stage", "resume", "spawned", "start"]);
  });
});

describe("job transitions: what happens to the stages", () => {
  // The job-level events that touch stages, from the job state each is legal in; every stage
  // state → the stage's next state. Events not listed (start, spawned, progress, gate, release,
  // cancel) leave the stages as they are.
  const STAGE_TABLE: Record<string, { from: JobState; event: JobTransition; to: Record<StageState, StageState> }> = {
    "exit 0": { from: "running", event: EVENTS["exit 0"], to: { pending: "pending", running: "succeeded", succeeded: "succeeded", failed: "failed", skipped: "skipped" } },
    "exit 3": { from: "running", event: EVENTS["exit 3"], to: { pending: "pending", running: "failed", succeeded: "succeeded", failed: "failed", skipped: "skipped" } },
    "exit after cancel": { from: "running", event: EVENTS["exit after cancel"], to: { pending: "pending", running: "failed", succeeded: "succeeded", failed: "failed", skipped: "skipped" } },
    "exit at shutdown": { from: "running", event: EVENTS["exit at shutdown"], to: { pending: "pending", running: "failed", succeeded: "succeeded", failed: "failed", skipped: "skipped" } },
    orphaned: { from: "running", event: EVENTS.orphaned, to: { pending: "pending", running: "failed", succeeded: "succeeded", failed: "failed", skipped: "skipped" } },
    resume: { from: "failed", event: EVENTS.resume, to: { pending: "pending", running: "pending", succeeded: "succeeded", failed: "pending", skipped: "skipped" } },
  };
  const cases = Object.entries(STAGE_TABLE).flatMap(([name, { from, event, to }]) => STAGE_STATES.map((s) => [name, s, to[s], from, event] as const));
  it.each(cases)("%s: stage %s → %s", (_name, stage, to, from, event) => {
    const next = transition(job(from, {}, stage), event, NOW);
    expect(next.stages.map((s) => s.state)).toEqual([to]);
  });

  const untouched: [JobState, EventName][] = [
    ["queued", "start"],
    ["running", "spawned"],
    ["running", "report progress"],
    ["running", "report gate"],
    ["running", "report release"],
    ["running", "cancel"],
    ["queued", "cancel"],
  ];
  it.each(untouched)("from %s, %s leaves every stage state as it is", (from, event) => {
    for (const stage of STAGE_STATES) expect(transition(job(from, {}, stage), EVENTS[event], NOW).stages).toEqual(job(from, {}, stage).stages);
  });

  // The process is the authority on its stages: whatever it reports is taken, from any stage state.
  const reported = STAGE_STATES.flatMap((from) => STAGE_STATES.map((to) => [from, to] as const));
  it.each(reported)("a reported stage goes %s → %s", (from, to) => {
    const before = job("running", { progress: { stage: "pretrain", done: 1, total: 2, unit: "steps", rate: null, detail: {} } }, from);
    const next = transition(before, report({ t: "stage", stage: "pretrain", state: to }), NOW);
    expect(next.stages[0]).toEqual({ ...before.stages[0], state: to, ...(to === "running" ? { startedAt: NOW } : { finishedAt: NOW }) });
    expect(next.progress).toBeNull();
  });
});

describe("job transitions: the fields each one writes", () => {
  it("newJobRecord: queued, every stage of its kind pending", () => {
    const r = newJobRecord({ id: "j2", kind: "retrain", config: {}, triggeredBy: null }, CREATED);
    expect(r).toMatchObject({ id: "j2", state: "queued", createdAt: CREATED, startedAt: null, attempts: 0, resumable: false, triggeredBy: null, exit: null, pid: null });
    expect(r.stages.map((s) => [s.name, s.state])).toEqual(["pretrain", "finetune", "export", "embed", "eval", "publish"].map((n) => [n, "pending"]));
  });

  it("start: counts the attempt, keeps the first start time, clears the last end", () => {
    expect(transition(FROM.queued, EVENTS.start, NOW)).toEqual({ ...FROM.queued, state: "running", startedAt: NOW, attempts: 1 });
    // A resumed job: queued again after a failure.
    const again = job("queued", { startedAt: STARTED, attempts: 1, exit: { code: 1, signal: null }, resumable: true });
    expect(transition(again, EVENTS.start, NOW)).toEqual({ ...again, state: "running", startedAt: STARTED, finishedAt: null, attempts: 2, exit: null, error: null, resumable: false });
  });

  it("spawned records the pid; progress, gate and release are stored as reported", () => {
    const r = FROM.running;
    expect(transition(r, EVENTS.spawned, NOW)).toEqual({ ...r, pid: 7 });
    expect(transition(r, EVENTS["report progress"], NOW)).toEqual({ ...r, progress: PROGRESS });
    expect(transition(r, EVENTS["report gate"], NOW)).toEqual({ ...r, gate: GATE });
    expect(transition(r, EVENTS["report release"], NOW)).toEqual({ ...r, release: "r002" });
  });

  it("a reported stage merges its metrics; an unknown stage or event kind changes nothing", () => {
    const r = job("running", {}, "running");
    const withMetrics = { ...r, stages: [{ ...r.stages[0]!, metrics: { loss: 1 } }] };
    const next = transition(deepFreeze(withMetrics), EVENTS["report stage"], NOW);
    expect(next.stages[0]).toMatchObject({ state: "succeeded", finishedAt: NOW, metrics: { loss: 1, steps: 3 } });
    expect(transition(r, report({ t: "stage", stage: "publish", state: "running" }), NOW)).toBe(r);
    expect(transition(r, report({ t: "shrug" } as unknown as ChildEvent), NOW)).toBe(r);
  });

  it("exit: the end, the reason and whether it can be resumed", () => {
    const r = FROM.running;
    const ended = { ...r, pid: null, finishedAt: NOW, progress: null };
    expect(transition(r, EVENTS["exit 0"], NOW)).toEqual({
      ...ended,
      state: "succeeded",
      exit: { code: 0, signal: null },
      error: null,
      resumable: false,
      stages: [{ ...r.stages[0], state: "succeeded" }],
    });
    expect(transition(r, EVENTS["exit 3"], NOW)).toMatchObject({ state: "failed", error: "the job process exited with code 3: pretrain failed: bad input", resumable: true });
    expect(transition(r, { ...EVENTS["exit 3"], logTail: ["step 1"] }, NOW).error).toBe("the job process exited with code 3");
    expect(transition(r, { ...EVENTS["exit 3"], logTail: ["error: " + "x".repeat(600)] }, NOW).error).toHaveLength("the job process exited with code 3: ".length + 500);
    expect(transition(r, EVENTS["exit SIGKILL"], NOW)).toMatchObject({
      state: "failed",
      exit: { code: null, signal: "SIGKILL" },
      error: "the job process was killed by SIGKILL (kill -9 or out of memory); resume it with jobs.resume",
      resumable: true,
    });
    expect(transition(r, { ...EVENTS["exit SIGKILL"], exit: { code: null, signal: "SIGSEGV" } }, NOW).error).toBe("the job process was killed by SIGSEGV; resume it with jobs.resume");
    expect(transition(r, EVENTS["exit after cancel"], NOW)).toEqual({
      ...ended,
      state: "cancelled",
      exit: { code: null, signal: "SIGTERM" },
      error: "cancelled by request",
      resumable: true,
      stages: [{ ...r.stages[0], state: "failed" }],
    });
    expect(transition(r, EVENTS["exit at shutdown"], NOW)).toMatchObject({ state: "interrupted", error: "the API stopped while this job was running; resume it with jobs.resume", resumable: true });
    // A cancel wins over a clean exit: the user asked for it.
    expect(transition(r, { ...EVENTS["exit after cancel"], exit: { code: 0, signal: null } }, NOW).state).toBe("cancelled");
  });

  it("orphaned: interrupted with the attempt named, the exit left as it was", () => {
    const r = job("running", { attempts: 2 });
    expect(transition(r, EVENTS.orphaned, NOW)).toEqual({
      ...r,
      state: "interrupted",
      finishedAt: NOW,
      error: "the API stopped while this job was running (attempt 2); resume it with jobs.resume",
      resumable: true,
      progress: null,
      pid: null,
      stages: [{ ...r.stages[0], state: "failed" }],
    });
  });

  it("cancel: a queued job ends, resumable only after an earlier attempt; a running one is returned as it is", () => {
    expect(transition(FROM.queued, EVENTS.cancel, NOW)).toEqual({ ...FROM.queued, state: "cancelled", finishedAt: NOW, error: "cancelled by request before it started", resumable: false });
    expect(transition(job("queued", { attempts: 1 }), EVENTS.cancel, NOW).resumable).toBe(true);
    expect(transition(FROM.running, EVENTS.cancel, NOW)).toBe(FROM.running);
  });

  it("resume: queued again, the reason and end cleared", () => {
    const r = FROM.failed;
    expect(transition(r, EVENTS.resume, NOW)).toEqual({ ...r, state: "queued", error: null, finishedAt: null });
    expect(() => transition(job("failed", { resumable: false }), EVENTS.resume, NOW)).toThrow("job j1 is failed; only failed, cancelled or interrupted jobs can be resumed");
    expect(() => transition(job("succeeded", { resumable: true }), EVENTS.resume, NOW)).toThrow(JobError);
  });
});
