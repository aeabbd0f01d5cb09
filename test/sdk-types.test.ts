// The SDK's public types against what the API really sends and takes. sdk/types.ts and
// sdk/job-types.ts derive them from the server's AppRouter, from each procedure's raw input and
// output (sdk/build.mjs checks that the published .d.ts writes out exactly these); what this file
// guards is that those are the wire types: the outputs as tRPC's JSON serialization types them
// (a Date, a Map or an undefined field would differ), the error data, and the filter shorthand,
// which the SDK writes out itself because the server types `filters` as unknown. Any pair that is
// not identical fails the type check — `npx tsc --noEmit -p .` in CI, and the test below runs tsc
// on this file alone.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { inferRouterError, inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import type { AppRouter } from "../api/http/index.ts";
import type { JobEvent as ServerJobEvent } from "../api/jobs/index.ts";
import type { FilterExpr as ServerFilterExpr, FilterShorthandSchema } from "../core/index.ts";
import type * as Sdk from "../sdk/index.ts";

type In = inferRouterInputs<AppRouter>;
type Out = inferRouterOutputs<AppRouter>;

/** true only when A and B are the same type (optional and readonly included; `x?: T` and `x?: T | undefined` count as one, as they are without exactOptionalPropertyTypes). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
/** Each assignable to the other (for wire types tRPC rewrites through its JSON serializer). */
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

// Outputs.
export type OutputChecks = [
  Expect<Equal<Sdk.RetrieveResult, Out["retrieve"]>>,
  Expect<Equal<Sdk.RetrievedItem, Out["retrieve"]["items"][number]>>,
  Expect<Equal<Sdk.DerivedConstraint, Out["retrieve"]["constraints"]["fromQuery"][number]>>,
  Expect<Equal<Sdk.Blend, NonNullable<Out["retrieve"]["blend"]>>>,
  Expect<Equal<Sdk.FilterExpr, NonNullable<Out["retrieve"]["constraints"]["applied"]>>>,
  Expect<Equal<Sdk.LookupResult, Out["lookup"]>>,
  Expect<Equal<Sdk.ItemRecord, Out["items"]["get"]["items"][number]>>,
  Expect<Equal<Sdk.ReleaseInfo, Out["releases"]["list"]["releases"][number]>>,
  Expect<Equal<Sdk.ReleaseInfo, Out["releases"]["activate"]>>,
  Expect<Equal<Sdk.Health, Out["health"]>>,
  Expect<Equal<Sdk.JobRecord, Out["jobs"]["get"]>>,
  Expect<Equal<Sdk.JobRecord[], Out["jobs"]["list"]["jobs"]>>,
  Expect<Equal<string[], Out["jobs"]["logs"]["lines"]>>,
  Expect<Equal<Sdk.JobEvent, ServerJobEvent>>,
  Expect<Mutual<Sdk.JobEvent, Out["jobs"]["watch"] extends AsyncIterable<infer E, never> ? E : never>>,
  Expect<Equal<Sdk.ErrorData, inferRouterError<AppRouter>["data"]>>,
  Expect<Equal<Sdk.FieldIssueData, NonNullable<inferRouterError<AppRouter>["data"]["issues"]>[number]>>,
];

// Inputs. The server types `filters` as unknown (its schema validates at run time), so the SDK's
// Filters (its shorthand is written out in sdk/types.ts) are checked against core's expression
// tree and shorthand instead.
export type InputChecks = [
  Expect<Equal<Omit<Sdk.RetrieveOptions, "filters">, Omit<In["retrieve"], "query" | "filters">>>,
  Expect<Equal<Sdk.Filters, ServerFilterExpr | z.input<typeof FilterShorthandSchema>>>,
  Expect<Equal<Sdk.FilterShorthand, z.input<typeof FilterShorthandSchema>>>,
  Expect<Equal<Sdk.PriceRange, Exclude<NonNullable<z.input<typeof FilterShorthandSchema>["price"]>, number>>>,
  Expect<Equal<Sdk.ReleaseOption, Omit<In["lookup"], "query">>>,
  Expect<Equal<Sdk.ReleaseOption, Omit<In["items"]["get"], "ids">>>,
  Expect<Equal<Sdk.JobKind, In["jobs"]["trigger"]["kind"]>>,
  Expect<Equal<Sdk.JobConfig, NonNullable<In["jobs"]["trigger"]["config"]>>>,
  Expect<Equal<Sdk.ListJobsOptions, Exclude<In["jobs"]["list"], void | undefined>>>,
  Expect<Equal<Sdk.JobState, NonNullable<Exclude<In["jobs"]["list"], void | undefined>["state"]>>>,
];

const ROOT = fileURLToPath(new URL("..", import.meta.url));

describe("SDK types", () => {
  it("equal the server's: tsc accepts this file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vitrine-sdk-types-"));
    try {
      const tsconfig = join(dir, "tsconfig.json");
      // typeRoots: resolved beside the tsconfig otherwise, and this one lives in a temp dir.
      const options = { typeRoots: [join(ROOT, "node_modules", "@types")] };
      await writeFile(tsconfig, JSON.stringify({ extends: join(ROOT, "tsconfig.json"), compilerOptions: options, include: [], files: [fileURLToPath(import.meta.url)] }));
      const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
      const run = await promisify(execFile)(process.execPath, [tsc, "--noEmit", "-p", tsconfig], { cwd: ROOT, timeout: 50_000 }).then(
        () => "",
        (e: { stdout?: string; message: string }) => e.stdout || e.message,
      );
      expect(run).toBe("");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
