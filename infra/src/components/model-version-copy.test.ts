import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createProgram, type ProgramOutputs } from "../program.ts";
import {
  isKubernetesResource,
  type KubernetesObject,
  kubernetesObject,
  validateObject,
} from "../test-support/kubernetes-schemas.ts";
import { type PodSpecForAdmission, podSecurityViolations } from "../test-support/pod-security.ts";
import {
  installMocks,
  outputOf,
  type RecordedResource,
  recordedResources,
  settle,
} from "../test-support/pulumi-mocks.ts";
import { exampleStack } from "../test-support/stack-fixture.ts";
import { GpuBackend } from "./gpu-backend.ts";
import { backendLabels } from "./labels.ts";
import { rcloneRemote } from "./model-volume.ts";

installMocks();

type Raw = Record<string, unknown>;
/** A container as the program declares it, with only plain values. */
interface Container {
  name: string;
  image?: string;
  command: string[];
  env?: { name: string; value: string }[];
  envFrom?: unknown;
  volumeMounts?: Raw[];
  resources?: unknown;
}
type PodSpec = { containers: Container[]; initContainers: Container[]; volumes: Raw[] } & Raw;

const V2 = {
  version: "v2",
  digest: "2".repeat(64),
  source: "s3://acme-models/sd15/v2/",
  region: "us-east-1",
};
const V3 = { version: "v3", digest: "3".repeat(64), source: "gs://acme-models/sd15/v3" };

/** Both example clusters on a pvc volume of sd15, with two versions listed (gcp-euw4 serves v2). */
function versionedStack() {
  return exampleStack((values) => {
    values.models = [{ id: "sd15", versions: [V2, V3] }];
    const [aws, gcp] = values.clusters as [Raw, Raw];
    const awsModel = aws.model as Raw;
    delete awsModel.source;
    delete awsModel.region;
    gcp.model = { kind: "pvc", id: "sd15", credentialsSecretName: "model-reader", serve: "v2" };
  });
}

let resources: RecordedResource[];
let program: ProgramOutputs;
beforeAll(async () => {
  program = createProgram(versionedStack());
  await settle(program);
  resources = [...recordedResources()];
});

function objects(cluster: string): KubernetesObject[] {
  return resources
    .filter((r) => isKubernetesResource(r) && (r.name === cluster || r.name.startsWith(`${cluster}-`)))
    .map(kubernetesObject);
}

function jobs(cluster: string): KubernetesObject[] {
  return objects(cluster).filter((o) => o.kind === "Job");
}

function jobPod(job: KubernetesObject): PodSpec {
  return (job.spec as { template: { spec: PodSpec } }).template.spec;
}

function backendPod(cluster: string): PodSpec {
  const deployment = objects(cluster).find(
    (o) => o.kind === "Deployment" && o.metadata?.name === "sdgate-backend",
  );
  if (deployment === undefined) throw new Error(`${cluster}: no backend Deployment`);
  return (deployment.spec as { template: { spec: PodSpec } }).template.spec;
}

function envOf(container: Container | undefined): Record<string, string> {
  return Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));
}

function named(containers: Container[], name: string): Container {
  const found = containers.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no container ${name}`);
  return found;
}

describe("policy: every listed model version is copied to every cluster's volume and verified", () => {
  it.each(["aws-use1", "gcp-euw4"])(
    "%s: one Job per version, named by its digest, with its source",
    (cluster) => {
      const found = jobs(cluster);
      expect(found.map((j) => j.metadata?.name).sort()).toEqual([
        `sdgate-model-${"2".repeat(16)}`,
        `sdgate-model-${"3".repeat(16)}`,
      ]);
      for (const [job, version] of [
        [found[0], V2],
        [found[1], V3],
      ] as const) {
        expect((job?.metadata as Raw | undefined)?.annotations).toEqual({
          "sdgate.dev/model-digest": version.digest,
          "sdgate.dev/model-source": version.source,
        });
        const pod = jobPod(job as KubernetesObject);
        const copy = envOf(named(pod.initContainers, "copy"));
        expect(copy.MODEL_SOURCE).toBe(
          rcloneRemote(version.source, "region" in version ? version.region : undefined),
        );
        expect(envOf(named(pod.containers, "verify"))).toMatchObject({
          MODEL_DIGEST: version.digest,
          MODEL_DEST: `/models/sd15/${version.digest}`,
          MODEL_VERSION: `sd15@${version.version}`,
        });
      }
    },
  );

  it("verifies with the backend's own digest code, from the backend image", () => {
    for (const job of jobs("aws-use1")) {
      const verify = named(jobPod(job).containers, "verify");
      expect(verify.image).toBe("ghcr.io/acme/sdgate-backend:0.1.0");
      expect(verify.command[2]).toContain('node src/cli/verify-model.ts "$MODEL_PARTIAL" "$MODEL_DIGEST"');
    }
  });

  it("the copy reads the fetcher's credentials as the backends' model does", () => {
    const [awsJob] = jobs("aws-use1");
    const [gcpJob] = jobs("gcp-euw4");
    expect(named(jobPod(awsJob as KubernetesObject).initContainers, "copy").envFrom).toEqual([
      { secretRef: { name: "sdgate-model-credentials" } },
    ]);
    expect(named(jobPod(gcpJob as KubernetesObject).initContainers, "copy").envFrom).toEqual([
      { secretRef: { name: "model-reader" } },
    ]);
  });

  it("mounts the model volume read-write only in the Jobs; the backends keep it read-only", () => {
    for (const cluster of ["aws-use1", "gcp-euw4"]) {
      for (const job of jobs(cluster)) {
        const pod = jobPod(job);
        expect(pod.volumes).toContainEqual({
          name: "model",
          persistentVolumeClaim: { claimName: "sdgate-model-sd15" },
        });
        for (const c of [...pod.initContainers, ...pod.containers]) {
          const mount = (c.volumeMounts ?? []).find((m) => m.name === "model");
          expect(mount?.readOnly, c.name).toBeUndefined();
        }
      }
      const backend = backendPod(cluster);
      for (const c of [...backend.initContainers, ...backend.containers]) {
        for (const mount of c.volumeMounts ?? [])
          if (mount.name === "model") expect(mount.readOnly, `${cluster} ${c.name}`).toBe(true);
      }
      // No backend pod copies anything: the Jobs did.
      expect(backend.initContainers.map((c) => c.name)).toEqual([]);
    }
  });

  it("the backends load the served version's digest folder: the last listed, or the cluster's serve", () => {
    expect(envOf(backendPod("aws-use1").containers[0]).SDGATE_MODEL_FOLDERS).toBe(
      `sd15=/models/sd15/${V3.digest}`,
    );
    expect(envOf(backendPod("gcp-euw4").containers[0]).SDGATE_MODEL_FOLDERS).toBe(
      `sd15=/models/sd15/${V2.digest}`,
    );
  });

  it("the backends roll only after every version is copied and verified", () => {
    const deployment = resources.find(
      (r) => r.type === "kubernetes:apps/v1:Deployment" && r.name === "aws-use1",
    );
    for (const version of ["v2", "v3"])
      expect(deployment?.dependencies).toContainEqual(
        expect.stringContaining(`ModelVersionCopy$kubernetes:batch/v1:Job::aws-use1-model-${version}`),
      );
  });

  it("Pulumi waits for the copy and its check as long as the model's size plans for", () => {
    const job = resources.find((r) => r.type === "kubernetes:batch/v1:Job" && r.name === "aws-use1-model-v3");
    // 600 s image pull + 2 × 20 GiB at 50 MiB/s + 300 s slack.
    expect(job?.customTimeouts?.create).toBe(`${Math.ceil((600 + 2 * 410 + 300) / 60)}m`);
  });

  it("the Jobs' pods meet Pod Security 'restricted', fit the Kubernetes schemas and are never backends", () => {
    for (const cluster of ["aws-use1", "gcp-euw4"]) {
      for (const job of jobs(cluster)) {
        validateObject(job);
        const pod = jobPod(job);
        expect(podSecurityViolations(pod as unknown as PodSpecForAdmission, "restricted")).toEqual([]);
        for (const c of [...pod.initContainers, ...pod.containers])
          expect(c.resources, c.name).toHaveProperty("limits.memory");
        const labels = (job.spec as { template: { metadata: { labels: Record<string, string> } } }).template
          .metadata.labels;
        expect(labels["app.kubernetes.io/name"]).toBe("sdgate-model-copy");
        expect(labels).not.toMatchObject(backendLabels(cluster));
        expect(JSON.stringify(pod)).not.toContain("nvidia.com/gpu");
      }
    }
  });
});

/** A fake rclone whose `sync SRC DST` copies a local folder, so the Job's scripts run as written. */
function fakeRclone(bin: string): void {
  writeFileSync(join(bin, "rclone"), '#!/bin/sh\nshift 5\nmkdir -p "$2"\ncp -R "$1/." "$2/"\n');
  chmodSync(join(bin, "rclone"), 0o755);
}

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the copy Job's scripts, run in a shell against a folder", () => {
  const BACKEND = fileURLToPath(new URL("../../../backend/", import.meta.url));

  /** The backend's own digest of a folder, through the CLI's --print. */
  function folderDigest(folder: string): string {
    const printed = spawnSync(process.execPath, ["src/cli/verify-model.ts", "--print", folder], {
      cwd: BACKEND,
      encoding: "utf8",
    });
    return printed.stdout.trim();
  }

  function setUp(files: Record<string, string>) {
    const root = mkdtempSync(join(tmpdir(), "sdgate-copy-"));
    made.push(root);
    const source = join(root, "bucket");
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(source, path)), { recursive: true });
      writeFileSync(join(source, path), text);
    }
    const bin = join(root, "bin");
    mkdirSync(bin);
    fakeRclone(bin);
    return { root, source, bin };
  }

  function run(script: string, env: Record<string, string>, bin: string) {
    const result = spawnSync("/bin/sh", ["-c", script], {
      cwd: BACKEND,
      encoding: "utf8",
      env: { PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`, ...env },
    });
    return { code: result.status, out: result.stdout + result.stderr };
  }

  function scripts() {
    const [job] = jobs("aws-use1");
    const pod = jobPod(job as KubernetesObject);
    return {
      copy: named(pod.initContainers, "copy").command[2] ?? "",
      verify: named(pod.containers, "verify").command[2] ?? "",
    };
  }

  function versionEnv(root: string, source: string, digest?: string) {
    const d = digest ?? folderDigest(source);
    return {
      MODEL_SOURCE: source,
      MODEL_DIGEST: d,
      MODEL_VERSION: "sd15@v3",
      MODEL_DEST: join(root, "models/sd15", d),
      MODEL_PARTIAL: join(root, "models/sd15", `.partial-${d}`),
    };
  }

  const FILES = { "model_index.json": "{}", "unet/model.onnx": "unet", "vae_decoder/model.onnx": "vae" };

  it("puts a verified copy in its digest folder with the marker, and skips it the next time", async () => {
    const { root, source, bin } = setUp(FILES);
    const env = versionEnv(root, source);
    const { copy, verify } = scripts();
    expect(run(copy, env, bin).code).toBe(0);
    expect(existsSync(env.MODEL_DEST)).toBe(false);
    const verified = run(verify, env, bin);
    expect(verified).toMatchObject({ code: 0, out: expect.stringContaining("verified and in place") });
    expect(readdirSync(env.MODEL_DEST).sort()).toEqual([
      ".sdgate-complete",
      "model_index.json",
      "unet",
      "vae_decoder",
    ]);
    expect(existsSync(env.MODEL_PARTIAL)).toBe(false);
    expect(folderDigest(env.MODEL_DEST)).toBe(env.MODEL_DIGEST);
    expect(run(copy, env, bin).out).toContain("already at");
    expect(run(verify, env, bin)).toMatchObject({ code: 0, out: expect.stringContaining("already at") });
  });

  it("never puts files that are not the version's where a backend looks, and throws them away", async () => {
    const { root, source, bin } = setUp(FILES);
    const env = versionEnv(root, source, "f".repeat(64));
    const { copy, verify } = scripts();
    expect(run(copy, env, bin).code).toBe(0);
    const refused = run(verify, env, bin);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(`digest mismatch: expected ${"f".repeat(64)}, found `);
    expect(existsSync(env.MODEL_DEST)).toBe(false);
    expect(existsSync(env.MODEL_PARTIAL)).toBe(false);
  });

  it("refuses a digest folder that something else left unmarked", async () => {
    const { root, source, bin } = setUp(FILES);
    const env = versionEnv(root, source);
    mkdirSync(env.MODEL_DEST, { recursive: true });
    const { copy, verify } = scripts();
    run(copy, env, bin);
    expect(run(verify, env, bin)).toMatchObject({
      code: 1,
      out: expect.stringContaining("is not marked complete"),
    });
  });
});

describe("the stack's clusters output", () => {
  it("names the version and digest each cluster serves", async () => {
    const clusters = await outputOf(program.clusters);
    expect(clusters["aws-use1"]?.model).toEqual({ id: "sd15", version: "v3", digest: V3.digest });
    expect(clusters["gcp-euw4"]?.model).toEqual({ id: "sd15", version: "v2", digest: V2.digest });
  });
});

describe("a copy Job on NFS-like storage", () => {
  it("gives the volume to the backend's UID first, as the backend pods do", async () => {
    const config = versionedStack();
    const [aws] = config.clusters;
    if (aws?.model.kind !== "pvc") throw new Error("aws-use1 is pvc");
    const cluster = { ...aws, name: "nfs", model: { ...aws.model, volumePermissions: "chown" as const } };
    const backend = new GpuBackend("nfs", {
      cluster,
      hmacKeys: config.hmacKeys,
      hmacKeyIds: config.hmacKeyIds,
      monitoring: config.monitoring,
      alerts: config.alerts,
    });
    await settle(backend);
    const [job] = recordedResources()
      .filter((r) => r.type === "kubernetes:batch/v1:Job" && r.name.startsWith("nfs-"))
      .map(kubernetesObject);
    const pod = jobPod(job as KubernetesObject);
    expect(pod.initContainers.map((c) => c.name)).toEqual(["own-model-volume", "copy"]);
    expect(podSecurityViolations(pod as unknown as PodSpecForAdmission, "baseline")).toEqual([]);
  });
});
