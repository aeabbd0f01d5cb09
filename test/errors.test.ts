// One error base: every layer's typed error is a CodedError whose code's kind decides the CLI exit
// code, and the cause survives.
import { describe, expect, it } from "vitest";
import { CodedError, CoreError, EXIT_CODES, exitCodeOf } from "../core/index.ts";
import { StoreError } from "../lancedb/errors.ts";
import { ImportError } from "../ingest/errors.ts";
import { DatasetError } from "../datasets/errors.ts";
import { EncoderUnavailableError, TokenizerError } from "../encoders/errors.ts";
import { TrainError } from "../gpu-jobs/errors.ts";
import { ExportError } from "../gpu-jobs/onnx/errors.ts";
import { EdgePushError } from "../lancedb/edge-kv-http.ts";
import { JobError } from "../api/jobs/index.ts";
import { ServiceError } from "../api/service/index.ts";
import { ConfigError } from "../api/http/index.ts";

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

  it("the exit codes are distinct", () => {
    const codes = Object.values(EXIT_CODES);
    expect(new Set(codes).size).toBe(codes.length);
  });
});
