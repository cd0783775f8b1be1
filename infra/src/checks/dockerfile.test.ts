import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BACKEND_UID } from "../components/labels.ts";
import { dockerfileProblems, parseDockerfile } from "./dockerfile-checks.ts";

const root = new URL("../../../", import.meta.url);
const dockerfile = readFileSync(new URL("backend/Dockerfile", root), "utf8");
const lock = JSON.parse(readFileSync(new URL("package-lock.json", root), "utf8")) as {
  packages: Record<string, { version?: string }>;
};
/** The Node the project pins: the version of the root `node` devDependency that the lockfile holds. */
const nodeVersion = lock.packages["node_modules/node"]?.version ?? "";
const expected = { nodeVersion, uid: BACKEND_UID };

describe("backend/Dockerfile", () => {
  it("is multi-stage, CUDA 13 + cuDNN 9, the pinned ORT CUDA 13 provider, pinned Node, non-root, health-checked", () => {
    expect(nodeVersion).toMatch(/^24\./);
    expect(dockerfileProblems(dockerfile, expected)).toEqual([]);
    expect(parseDockerfile(dockerfile).stages.map((s) => s.name)).toEqual(["deps", "runtime"]);
  });

  it.each([
    ["a root user", (t: string) => t.replace("USER 10001:10001", "USER root"), "non-root USER"],
    [
      "a CUDA 12 base",
      (t: string) => t.replace("nvidia/cuda:13.0.2-cudnn", "nvidia/cuda:12.9.1-cudnn"),
      "CUDA 13 + cuDNN 9",
    ],
    [
      "onnxruntime-node's CUDA 12 download",
      (t: string) => t.replace("ENV ONNXRUNTIME_NODE_INSTALL=skip", "ENV ONNXRUNTIME_NODE_INSTALL=cuda12"),
      "ONNXRUNTIME_NODE_INSTALL=skip",
    ],
    [
      "no CUDA provider",
      (t: string) => t.replace(/RUN node backend\/src\/cli\/install-cuda-provider\.ts.*\n/, ""),
      "install-cuda-provider.ts after `npm ci`",
    ],
    [
      "another Node",
      (t: string) => t.replace("ARG NODE_VERSION=24.21.0", "ARG NODE_VERSION=22.1.0"),
      "pinned Node",
    ],
    [
      "no health check",
      (t: string) => t.replace(/HEALTHCHECK[\s\S]*?\n(?=#)/, ""),
      "HEALTHCHECK must probe /healthz",
    ],
    ["one stage", (t: string) => t.replace(/FROM node[\s\S]*?(?=FROM \$\{CUDA)/, ""), "multi-stage"],
  ])("the check catches %s", (_, mutate, problem) => {
    const mutated = mutate(dockerfile);
    expect(mutated).not.toBe(dockerfile);
    expect(dockerfileProblems(mutated, expected).join("\n")).toContain(problem);
  });

  it("is built from a context that leaves out secrets, state and dependencies", () => {
    const ignored = readFileSync(new URL(".dockerignore", root), "utf8").split("\n");
    for (const entry of ["**/node_modules", ".git", ".sdgate", ".dev.vars", "Pulumi.*.yaml"])
      expect(ignored).toContain(entry);
  });
});
