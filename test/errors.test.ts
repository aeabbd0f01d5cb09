// One error base: every layer's typed error is a CodedError whose code's kind decides the CLI exit
// code, and the cause survives.
import { describe, expect, it } from "vitest";
import { CodedError, CoreError, EXIT_CODES, exitCodeOf } from "../core/index.ts";
import { EdgePushError, StoreError } from "../lancedb/index.ts";
import { ImportError } from "../ingest/index.ts";
import { DatasetError } from "../datasets/index.ts";
import { EncoderUnavailableError, TokenizerError } from "../encoders/index.ts";
import { ExportError, TrainError } from "../gpu-jobs/index.ts";
import { JobError } from "../api/jobs/index.ts";
import { ServiceError } from "../api/service/index.ts";
import { ConfigError, toApiError } from "../api/http/index.ts";

describe("CodedError", () => {
  const cause = new Error("disk full");
  const cases: [CodedError, string, number][] = [
    [new CoreError("INVALID_FILTER", "bad filter", "filters.brand"), "INVALID_FILTER", EXIT_CODES.input],
    [new StoreError("RELEASE_MISSING", "no release r009", { cause }), "RELEASE_MISSING", EXIT_CODES.missing],
    [new StoreError("RELEASE_CONFLICT", "taken"), "RELEASE_CONFLICT", EXIT_CODES.conflict],
    [new StoreError("BAD_OPTION", "--top-k must be ≥ 1"), "BAD_OPTION", EXIT_CODES.usage],
    [new ImportError("SOURCE_MISSING", "no file"), "SOURCE_MISSING", EXIT_CODES.missing],
    [new DatasetError("OUT_NOT_EMPTY", "not empty"), "OUT_NOT_EMPTY", EXIT_CODES.conflict],
    [new TokenizerError("BAD_CHECKPOINT", "truncated"), "BAD_CHECKPOINT", EXIT_CODES.input],
    [new EncoderUnavailableError("no onnx"), "ENCODER_UNAVAILABLE", EXIT_CODES.unavailable],
    [new TrainError("BACKEND_UNAVAILABLE", "no wasm"), "BACKEND_UNAVAILABLE", EXIT_CODES.unavailable],
    [new TrainError("REMOTE_FAILED", "502"), "REMOTE_FAILED", EXIT_CODES.unavailable],
    [new ExportError("PARITY_FAILED", "differs"), "PARITY_FAILED", EXIT_CODES.internal],
    [new EdgePushError("KV_UNAVAILABLE", "503"), "KV_UNAVAILABLE", EXIT_CODES.unavailable],
    [new JobError("JOB_NOT_FOUND", "no job"), "JOB_NOT_FOUND", EXIT_CODES.missing],
    [new ServiceError("BAD_REQUEST", "k"), "BAD_REQUEST", EXIT_CODES.input],
    [new ConfigError("VITRINE_PORT must be a number"), "BAD_CONFIG", EXIT_CODES.input],
  ];

  it.each(cases)("%s has its code and exit code", (err, code, exit) => {
    expect(err).toBeInstanceOf(CodedError);
    expect(err.code).toBe(code);
    expect(exitCodeOf(err)).toBe(exit);
  });

  it("keeps the cause, and an untyped throw exits as internal", () => {
    expect(new StoreError("RELEASE_MISSING", "x", { cause }).cause).toBe(cause);
    expect(exitCodeOf(new Error("boom"))).toBe(EXIT_CODES.internal);
    expect(exitCodeOf("a string")).toBe(EXIT_CODES.internal);
  });

  it("one mapping to HTTP: the API's own codes as themselves, any other layer's by kind; causes never sent", () => {
    const http = (e: unknown) => {
      const a = toApiError(e);
      return [a.status, a.code, a.message];
    };
    expect(http(new CoreError("INVALID_FILTER", "bad filter", "filters.brand"))).toEqual([400, "INVALID_FILTER", "bad filter"]);
    expect(toApiError(new CoreError("INVALID_FILTER", "bad filter", "filters.brand")).extra.issues).toEqual([{ field: "filters.brand", message: "bad filter" }]);
    expect(http(new ServiceError("NO_RELEASE", "publish one"))).toEqual([503, "NO_RELEASE", "publish one"]);
    expect(http(new JobError("CONFLICT", "job j1 is running"))).toEqual([409, "CONFLICT", "job j1 is running"]);
    expect(http(new StoreError("RELEASE_MISSING", "no release r009"))).toEqual([404, "NOT_FOUND", "no release r009"]);
    expect(http(new StoreError("BAD_OPTION", "topK must be ≤ 10000"))).toEqual([400, "BAD_REQUEST", "topK must be ≤ 10000"]);
    expect(http(new TrainError("REMOTE_FAILED", "502 from upstream"))).toEqual([503, "UNAVAILABLE", "502 from upstream"]);
    const internal = toApiError(new ExportError("PARITY_FAILED", "graph differs at /srv/models/x"));
    expect([internal.status, internal.code]).toEqual([500, "INTERNAL"]);
    expect(internal.message).not.toMatch(/srv|graph/);
    expect(internal.extra.internal).toBeInstanceOf(ExportError);
    // ApiError is a CodedError too, so a CLI that meets one exits by its kind.
    expect(exitCodeOf(toApiError(new StoreError("RELEASE_MISSING", "x")))).toBe(EXIT_CODES.missing);
  });

  it("the exit codes are distinct", () => {
    const codes = Object.values(EXIT_CODES);
    expect(new Set(codes).size).toBe(codes.length);
  });
});
