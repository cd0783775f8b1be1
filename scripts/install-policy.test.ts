import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const root = new URL("../", import.meta.url);
const manifest = JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as {
  allowScripts?: Record<string, boolean>;
};
const lock = JSON.parse(readFileSync(new URL("package-lock.json", root), "utf8")) as {
  packages: Record<string, { hasInstallScript?: boolean; name?: string }>;
};

/** The packages in the lockfile that have install scripts, by name. */
const withInstallScripts = [
  ...new Set(
    Object.entries(lock.packages)
      .filter(([path, entry]) => path.includes("node_modules/") && entry.hasInstallScript)
      .map(
        ([path, entry]) =>
          entry.name ?? path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length),
      ),
  ),
].sort();

describe("install scripts (package.json allowScripts, npm >= 11.16)", () => {
  it("skip onnxruntime-node's, which would download a CUDA 12 provider from NuGet on every npm ci", () => {
    expect(manifest.allowScripts?.["onnxruntime-node"]).toBe(false);
  });

  it("decide every dependency's, so none is dropped unnoticed when npm starts blocking unreviewed ones", () => {
    const decided = Object.keys(manifest.allowScripts ?? {}).sort();
    expect(withInstallScripts).toContain("node");
    expect(decided).toEqual(withInstallScripts);
  });

  it("run the ones the project needs: its own Node, workerd's and esbuild's binaries, sharp", () => {
    for (const name of ["node", "workerd", "esbuild", "sharp"])
      expect(manifest.allowScripts?.[name]).toBe(true);
  });

  // The npm that runs `npm ci`, when this machine has one.
  const npm = spawnSync("npm", ["config", "get", "engine-strict"], { cwd: root, encoding: "utf8" });
  it.skipIf(npm.error !== undefined)(
    "are not left to a project .npmrc key npm does not know (npm warns on every command, and drops it in its next major)",
    () => {
      expect(npm.status).toBe(0);
      expect(npm.stderr).not.toContain("Unknown project config");
    },
  );
});
