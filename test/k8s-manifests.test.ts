// deploy/k8s/ checked offline (no cluster here): every document validated against the Kubernetes
// OpenAPI schemas kubernetes-models bundles (types, enums, required fields), then the
// fields Vitrine relies on (the schemas do not refuse unknown fields: those checks are the guard): replicas with jobs off and keys from the Secret, the Service and the HPA
// aimed at the Deployment, the embed shards' count agreeing between the Indexed Job, --shard and the
// merge, the retrain on GPU nodes, one ReadWriteMany volume, and every container's arguments parsed
// by the verb's own flag table (a typo in a manifest fails here, not in the cluster).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { Job } from "kubernetes-models/batch/v1/Job";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, parse } from "yaml";
import { parseConfig } from "../api/http/index.ts";
import { parseArgv, type FlagTable, type VerbSpec } from "../core/cli/index.ts";
import { EMBED, PUBLISH, RETRAIN, SERVE } from "../core/cli/verbs/index.ts";

const DIR = join(process.cwd(), "deploy", "k8s");
// Manifests are plain parsed YAML, checked field by field below.
type Doc = Record<string, any>;
const MODELS: Record<string, new (d: Doc) => { validate(): void }> = {
  "v1/Secret": Secret,
  "v1/Service": Service,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "apps/v1/Deployment": Deployment,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "batch/v1/Job": Job,
};
const VERBS: Record<string, VerbSpec<FlagTable, string>> = { serve: SERVE, embed: EMBED, publish: PUBLISH, retrain: RETRAIN };

const docs: { file: string; doc: Doc }[] = readdirSync(DIR)
  .filter((f) => f.endsWith(".yaml"))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(DIR, file), "utf8")).map((d) => {
      expect(d.errors, file).toEqual([]);
      return { file, doc: d.toJS() as Doc };
    }),
  );
const find = (kind: string, name: string): Doc => {
  const d = docs.find((x) => x.doc.kind === kind && x.doc.metadata?.name === name);
  if (!d) throw new Error(`no ${kind} ${name} in deploy/k8s`);
  return d.doc;
};
const containersOf = (d: Doc): Doc[] => [...(d.spec.template.spec.initContainers ?? []), ...d.spec.template.spec.containers];
const env = (c: Doc, name: string) => (c.env as Doc[] | undefined)?.find((e) => e.name === name);

function validate(doc: Doc): void {
  const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
  if (!Model) throw new Error(`no schema for ${doc.apiVersion} ${doc.kind}`);
  new Model(doc).validate();
}

describe("deploy/k8s manifests", () => {
  it("every document is a valid object of its kind (the bundled Kubernetes schemas)", () => {
    expect(docs.map((d) => `${d.doc.kind}/${d.doc.metadata.name}`).sort()).toEqual([
      "Deployment/vitrine-api",
      "HorizontalPodAutoscaler/vitrine-api",
      "Job/vitrine-embed-merge",
      "Job/vitrine-embed-shards",
      "Job/vitrine-retrain",
      "PersistentVolumeClaim/vitrine-data",
      "Secret/vitrine-keys",
      "Service/vitrine-api",
    ]);
    for (const { file, doc } of docs) expect(() => validate(doc), `${file}: ${doc.kind}`).not.toThrow();
  });

  it("the schema check can fail: a wrong type and a missing required field are refused (unknown fields pass: the bundled schemas allow them)", () => {
    const api = structuredClone(find("Deployment", "vitrine-api"));
    expect(() => validate({ ...api, spec: { ...api.spec, replicas: "two" } })).toThrow(/replicas/);
    const job = structuredClone(find("Job", "vitrine-retrain"));
    job.spec.template.spec.containers = undefined;
    expect(() => validate(job)).toThrow(/containers/);
  });

  it("every container runs a verb whose flags parse with the verb's own table; every image is tagged", () => {
    for (const { file, doc } of docs.filter((d) => d.doc.spec?.template)) {
      for (const c of containersOf(doc)) {
        expect(c.image, file).toMatch(/^vitrine-(api|gpu):\d+\.\d+\.\d+$/);
        const [verb, ...args] = (c.args as string[]).map((a) => a.replace("$(JOB_COMPLETION_INDEX)", "0"));
        const spec = VERBS[verb!]!;
        expect(spec, `${file}: verb ${verb}`).toBeDefined();
        expect(() => parseArgv(spec, args), `${file}: ${c.args.join(" ")}`).not.toThrow();
      }
    }
  });

  it("API replicas: jobs off, keys from the Secret, ready on /healthz, on the shared volume; the Service and the HPA aim at them", () => {
    const dep = find("Deployment", "vitrine-api");
    const [api] = dep.spec.template.spec.containers as Doc[];
    expect(dep.spec.selector.matchLabels).toEqual(expect.objectContaining(dep.spec.template.metadata.labels));
    expect(env(api!, "VITRINE_JOBS")?.value).toBe("off");
    expect(env(api!, "VITRINE_DATA")?.value).toBe("/data");
    const ref = env(api!, "VITRINE_API_KEYS")?.valueFrom?.secretKeyRef;
    expect(find("Secret", ref.name).stringData).toHaveProperty(ref.key);
    expect(api!.readinessProbe.httpGet.path).toBe("/healthz");
    const dockerfile = readFileSync(join(process.cwd(), "deploy", "Dockerfile"), "utf8");
    expect(api!.ports[0].containerPort).toBe(Number(/^EXPOSE (\d+)/m.exec(dockerfile)![1]));
    expect(api!.resources.requests).toHaveProperty("cpu"); // the HPA's utilisation is relative to it

    const svc = find("Service", "vitrine-api");
    expect(dep.spec.template.metadata.labels).toEqual(expect.objectContaining(svc.spec.selector));
    expect(svc.spec.ports[0].targetPort).toBe(api!.ports[0].name);
    const hpa = find("HorizontalPodAutoscaler", "vitrine-api");
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "vitrine-api" });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
  });

  it("the Secret's placeholder is refused by serve's config, so an unedited Secret never serves", () => {
    const keys = find("Secret", "vitrine-keys").stringData.VITRINE_API_KEYS;
    expect(() => parseConfig({ VITRINE_API_KEYS: keys })).toThrow(/VITRINE_API_KEYS/);
  });

  it("embed shards: an Indexed Job whose completions, parallelism, --shard N and the merge's N agree, one batch size", () => {
    const shards = find("Job", "vitrine-embed-shards");
    expect(shards.spec.completionMode).toBe("Indexed");
    const [c] = shards.spec.template.spec.containers as Doc[];
    const args = c!.args as string[];
    const shard = args[args.indexOf("--shard") + 1]!;
    expect(shard).toMatch(/^\$\(JOB_COMPLETION_INDEX\)\/\d+$/);
    const n = Number(shard.split("/")[1]);
    expect(shards.spec.completions).toBe(n);
    expect(shards.spec.parallelism).toBeLessThanOrEqual(n);
    expect(args).toContain("--batch-size");
    const merge = containersOf(find("Job", "vitrine-embed-merge"));
    const mergeArgs = merge[0]!.args as string[];
    expect(Number(mergeArgs[mergeArgs.indexOf("--merge-shards") + 1])).toBe(n);
    expect(merge[1]!.args.slice(0, 1)).toEqual(["publish"]);
    expect(merge[1]!.args).toEqual(expect.arrayContaining(["--encoder", "onnx"]));
  });

  it("retrain: the GPU image on GPU nodes, with CPU, memory and one GPU requested, not retried blindly", () => {
    const job = find("Job", "vitrine-retrain");
    const pod = job.spec.template.spec;
    expect(Object.keys(pod.nodeSelector)).toEqual(["nvidia.com/gpu.present"]);
    const [c] = pod.containers as Doc[];
    expect(c!.image).toMatch(/^vitrine-gpu:/);
    expect(c!.resources.requests).toMatchObject({ "nvidia.com/gpu": 1 });
    expect(c!.resources.limits).toMatchObject({ "nvidia.com/gpu": 1 });
    expect(Object.keys(c!.resources.requests)).toEqual(expect.arrayContaining(["cpu", "memory"]));
    expect(job.spec.backoffLimit).toBe(0);
    expect(c!.args.slice(0, 1)).toEqual(["retrain"]);
  });

  it("one ReadWriteMany volume at /data in every pod", () => {
    const pvc = find("PersistentVolumeClaim", "vitrine-data");
    expect(pvc.spec.accessModes).toEqual(["ReadWriteMany"]);
    for (const { file, doc } of docs.filter((d) => d.doc.spec?.template)) {
      expect(doc.spec.template.spec.volumes, file).toEqual([{ name: "data", persistentVolumeClaim: { claimName: "vitrine-data" } }]);
      for (const c of containersOf(doc)) expect(c.volumeMounts, `${file}: ${c.name}`).toEqual([{ name: "data", mountPath: "/data" }]);
    }
  });

  it("compose's second replica serves the same volume with jobs off", () => {
    const compose = parse(readFileSync(join(process.cwd(), "deploy", "compose.yaml"), "utf8")) as Doc;
    const replica = compose.services["api-replica"];
    expect(replica.environment.VITRINE_JOBS).toBe("off");
    expect(replica.volumes).toEqual(compose.services.api.volumes);
    expect(replica.image).toBe(compose.services.api.image);
    expect(replica.ports).not.toEqual(compose.services.api.ports);
  });
});
