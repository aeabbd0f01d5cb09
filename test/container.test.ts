// The API's container files, checked without Docker (none on these machines; hadolint is not in
// Debian): deploy/Dockerfile is linted by dockerfile-utils (the Docker language service's
// validator) and held to the essentials — multi-stage, pinned base images (no `latest`, no
// untagged), production dependencies only in the runtime, a non-root user, a /data volume, a
// HEALTHCHECK on /healthz — deploy/compose.yaml is parsed and held to its own, and every package
// the server's code imports is a production dependency (what `npm ci --omit=dev` installs).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { DockerfileParser } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { extractImports, isTestCode, testOnlyFiles } from "./support/layering.ts";

const ROOT = join(import.meta.dirname, "..");
const read = (p: string) => readFileSync(join(ROOT, p), "utf8");

/** The essentials a Dockerfile for the API must have; returns what is missing (empty: all there). */
function dockerfileProblems(text: string): string[] {
  const problems = validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
  const file = DockerfileParser.parse(text);
  const froms = file.getFROMs();
  if (froms.length < 2) problems.push("not multi-stage: one FROM");
  for (const f of froms) {
    const tag = f.getImageTag();
    if (f.getImageName() !== null && !froms.some((s) => s.getBuildStage() === f.getImageName()) && (tag === null || tag === "latest") && f.getImageDigest() === null) {
      problems.push(`FROM ${f.getImageName()}: pin a tag or digest (no latest)`);
    }
  }
  const last = froms.at(-1);
  const finalStage = last ? file.getInstructions().filter((i) => i.getRange().start.line >= last.getRange().start.line) : [];
  const of = (kw: string) => finalStage.filter((i) => i.getKeyword() === kw);
  const user = of("USER").at(-1)?.getArgumentsContent()?.trim();
  if (!user || /^(root|0)(:|$)/.test(user)) problems.push(`the runtime stage must end as a non-root USER (got ${user ?? "none"})`);
  const health = of("HEALTHCHECK").at(-1)?.getArgumentsContent() ?? "";
  if (!/\/healthz/.test(health)) problems.push("no HEALTHCHECK on /healthz in the runtime stage");
  if (!of("VOLUME").some((v) => /\/data\b/.test(v.getArgumentsContent() ?? ""))) problems.push("no VOLUME /data in the runtime stage");
  const runs = file
    .getInstructions()
    .filter((i) => i.getKeyword() === "RUN")
    .map((i) => i.getArgumentsContent() ?? "");
  if (!runs.some((r) => /npm ci\b[^&]*--omit=dev/.test(r))) problems.push("no `npm ci --omit=dev`");
  if (runs.some((r) => /npm (ci|install)\b/.test(r) && !/--omit=dev/.test(r))) problems.push("an npm install keeps dev dependencies");
  if (!of("COPY").some((c) => /--from=/.test(c.getTextContent()))) problems.push("the runtime stage copies nothing from a build stage");
  return problems;
}

describe("deploy/Dockerfile", () => {
  const text = read("deploy/Dockerfile");

  it("lints clean and has the essentials: multi-stage, pinned bases, omit=dev, non-root, /data volume, HEALTHCHECK /healthz", () => {
    expect(dockerfileProblems(text)).toEqual([]);
    const file = DockerfileParser.parse(text);
    const env = Object.fromEntries(
      file
        .getInstructions()
        .filter((i) => i.getKeyword() === "ENV")
        .flatMap((i) => (i.getArgumentsContent() ?? "").split(/\s+/).map((kv) => kv.replace(/\\$/, "").split("=")))
        .filter((kv) => kv.length === 2),
    );
    expect(env).toMatchObject({ VITRINE_HOST: "0.0.0.0", VITRINE_DATA: "/data", VITRINE_PORT: "8787" });
    const expose = file
      .getInstructions()
      .find((i) => i.getKeyword() === "EXPOSE")
      ?.getArgumentsContent();
    expect(expose).toBe(env.VITRINE_PORT);
    expect(
      file
        .getInstructions()
        .find((i) => i.getKeyword() === "ENTRYPOINT")
        ?.getArgumentsContent(),
    ).toBe('["node", "bin/vitrine.js"]');
    // The base image's Node satisfies package.json's engines.
    const tag = file.getFROMs()[0]!.getImageTag()!;
    const [major, minor] = tag.split(/[.-]/).map(Number);
    expect(major === 20 ? minor! >= 10 : major! >= 22).toBe(true);
  });

  it("the checks catch what they claim to (latest, root, no healthcheck, one stage, dev deps, bad syntax)", () => {
    const bad = ["FROM node:latest", "RUN npm ci", "USER root", "HEALTHCHECK --bogus=1 CMD true", 'CMD ["serve"]'].join("\n");
    const problems = dockerfileProblems(bad).join("\n");
    for (const m of [
      /not multi-stage/,
      /no latest/,
      /non-root USER \(got root\)/,
      /HEALTHCHECK on \/healthz/,
      /VOLUME \/data/,
      /no `npm ci --omit=dev`/,
      /keeps dev dependencies/,
      /Unknown flag: bogus/,
    ])
      expect(problems).toMatch(m);
    expect(dockerfileProblems(text.replace("USER node", "USER 0"))).toEqual(["the runtime stage must end as a non-root USER (got 0)"]);
    expect(dockerfileProblems(text.replaceAll("20.19.5-bookworm-slim", "latest"))).toHaveLength(2);
  });

  it("the runtime needs no dev dependency: every package the server's code imports is in dependencies (tsx too: no build step)", () => {
    const pkg = JSON.parse(read("package.json")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    expect(pkg.dependencies).toHaveProperty("tsx");
    // Every source file, then the production ones: not tests, not test support only tests load.
    const sources = new Map<string, string>();
    const walk = (dir: string) => {
      for (const f of readdirSync(join(ROOT, dir))) {
        const p = join(dir, f);
        if (f === "node_modules") continue;
        if (statSync(join(ROOT, p)).isDirectory()) walk(p);
        else if (/\.(ts|mjs|js)$/.test(f)) sources.set(p, read(p));
      }
    };
    for (const d of ["api", "bin", "core", "datasets", "encoders", "gpu-jobs", "ingest", "lancedb", "test", "bench"]) walk(d);
    const supportOnly = testOnlyFiles(sources);
    const used = new Map<string, string>();
    for (const [p, text] of sources) {
      if (isTestCode(p) || supportOnly.has(p)) continue;
      for (const r of extractImports(p, text)) {
        if (r.typeOnly || r.spec.startsWith(".") || r.spec.startsWith("node:")) continue;
        used.set(r.spec.startsWith("@") ? r.spec.split("/").slice(0, 2).join("/") : r.spec.split("/")[0]!, p);
      }
    }
    expect(used.size).toBeGreaterThan(10);
    const notProduction = [...used].filter(([name]) => !(name in pkg.dependencies)).map(([name, file]) => `${name} (${file})`);
    expect(notProduction).toEqual([]);
  });
});

describe("deploy/compose.yaml and .dockerignore", () => {
  it("the API built from deploy/Dockerfile with /data on a named volume, keys from the environment; the cli service is opt-in", () => {
    const compose = parse(read("deploy/compose.yaml")) as Record<string, any>;
    const api = compose.services.api;
    expect(api.build).toEqual({ context: "..", dockerfile: "deploy/Dockerfile" });
    expect(statSync(join(ROOT, "deploy", api.build.context, api.build.dockerfile)).isFile()).toBe(true);
    expect(api.volumes).toEqual(["vitrine-data:/data"]);
    expect(compose.volumes).toHaveProperty("vitrine-data");
    expect(api.ports).toEqual(["8787:8787"]);
    expect(api.environment.VITRINE_API_KEYS).toMatch(/^\$\{VITRINE_API_KEYS:\?/);
    expect(api.environment.VITRINE_DATA).toBe("/data");
    for (const s of Object.values(compose.services) as { image?: string }[]) expect(s.image).not.toMatch(/:latest$|^[^:]+$/);
    expect(compose.services.cli.profiles).toEqual(["tools"]);
    expect(compose.services.cli.volumes).toEqual(["vitrine-data:/data"]);
    const ignored = read(".dockerignore").split("\n");
    for (const p of ["node_modules", ".git", ".data"]) expect(ignored).toContain(p);
  });
});
