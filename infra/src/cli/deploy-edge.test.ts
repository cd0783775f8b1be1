import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { modelInfoSchema, registrySchema } from "@sdgate/shared";
import { parse } from "smol-toml";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { CLOUDFLARE_ORIGIN_TIMEOUT_MS } from "../checks/wrangler-checks.ts";
import { edgeVars, WORKER_VAR_MAX_BYTES } from "../registry/edge-vars.ts";
import { installMocks, outputOf, settle } from "../test-support/pulumi-mocks.ts";
import { exampleConfigValues, exampleStack, SECRET_MARKER, sourceOf } from "../test-support/stack-fixture.ts";
import { runCli } from "./run-cli.ts";

installMocks();

const REPO_ROOT = new URL("../../../", import.meta.url).pathname;
const stack = exampleStack();
let dir: string;
let outputsFile: string;
let files: { registry: string; models: string; retention: string };

/**
 * What `pulumi stack output --json` prints for the example stack: the program's entry
 * (infra/src/index.ts) run on Pulumi's mocks with the example's config, every export resolved.
 */
beforeAll(async () => {
  const values = exampleConfigValues();
  const source = sourceOf(values);
  pulumi.runtime.setAllConfig(
    Object.fromEntries(Object.keys(values).map((key) => [`sdgate:${key}`, source.get(key) ?? ""])),
    ["sdgate:hmacKeys", "sdgate:clusters", "sdgate:alerts"],
  );
  const exports = (await import("../index.ts")) as Record<string, unknown>;
  const outputs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(exports))
    outputs[name] = pulumi.Output.isInstance(value) ? await outputOf(value) : value;
  await settle();
  dir = mkdtempSync(join(tmpdir(), "sdgate-deploy-edge-"));
  outputsFile = join(dir, "outputs.json");
  writeFileSync(outputsFile, JSON.stringify(outputs));
  files = {
    registry: join(dir, "registry.json"),
    models: join(dir, "edge-models.json"),
    retention: join(dir, "retention.json"),
  };
});

function writeFiles(from: string) {
  return runCli("registry.ts", [
    ...["--from", from, "--out", files.registry],
    ...["--models-out", files.models, "--retention-out", files.retention],
  ]);
}

function deployArgs(): string[] {
  return ["--registry", files.registry, "--models", files.models, "--retention", files.retention];
}

describe("npm run registry, then npm run deploy:edge, rehearsed against wrangler deploy --dry-run", () => {
  it("deploys a production edge that serves every model the stack's clusters serve, each var under 5 KB", () => {
    const outputs = readFileSync(outputsFile, "utf8");
    expect(Object.keys(JSON.parse(outputs))).toContain("edgeModels");
    expect(outputs).not.toContain(SECRET_MARKER);
    const written = writeFiles(outputsFile);
    expect(written.stderr).toBe("");
    expect(written.stdout).toContain("Wrote 2 pool(s)");
    expect(written.stdout).toContain("Wrote 1 model(s)");

    const deployed = runCli("deploy-edge.ts", [...deployArgs(), "--dry-run"]);
    expect(deployed.status, deployed.stderr).toBe(0);
    expect(deployed.stdout).toContain("$ npx wrangler d1 migrations apply DB --remote --env production");
    expect(deployed.stdout).toContain('--var \'SDGATE_MODELS:[{"id":"sd15"}]\'');
    // Wrangler itself read the production environment and bound every var.
    for (const name of ["SDGATE_BACKENDS", "SDGATE_MODELS", "SDGATE_CACHE_RETENTION_DAYS"])
      expect(deployed.stdout).toMatch(new RegExp(`env\\.${name} \\(.*Environment Variable`));
    expect(deployed.stdout).toContain("--dry-run: exiting now.");
    // No access.json beside the retention: the edge runs without Access.
    expect(deployed.stdout).not.toContain("SDGATE_ACCESS_");

    // The vars it deployed, as the edge parses them.
    const vars = edgeVars({
      registry: JSON.parse(readFileSync(files.registry, "utf8")),
      models: JSON.parse(readFileSync(files.models, "utf8")),
      retentionVars: JSON.parse(readFileSync(files.retention, "utf8")).vars,
    });
    const served = z.array(modelInfoSchema).parse(JSON.parse(vars.SDGATE_MODELS ?? ""));
    for (const cluster of stack.clusters) expect(served.map((m) => m.id)).toContain(cluster.model.id);
    const registry = registrySchema.parse(JSON.parse(vars.SDGATE_BACKENDS ?? ""));
    expect(registry.pools.map((p) => p.name).sort()).toEqual(stack.clusters.map((c) => c.name).sort());
    const production = (
      parse(readFileSync(join(REPO_ROOT, "wrangler.toml"), "utf8")) as {
        env: { production: { vars: Record<string, string> } };
      }
    ).env.production.vars;
    for (const [name, value] of Object.entries({ ...production, ...vars }))
      expect(new TextEncoder().encode(value).length, name).toBeLessThanOrEqual(WORKER_VAR_MAX_BYTES);
    expect(Number(production.SDGATE_BACKEND_TIMEOUT_MS)).toBeLessThan(CLOUDFLARE_ORIGIN_TIMEOUT_MS);
  }, 60_000);

  it("hands the Worker the stack's Access team domain and AUD tag, which it needs to trust Access's tokens", () => {
    const outputs = JSON.parse(readFileSync(outputsFile, "utf8")) as { access?: Record<string, unknown> };
    // The example stack sets sdgate:access; Cloudflare assigns the AUD, which Pulumi's mocks cannot.
    expect(outputs.access).toEqual({ teamDomain: "acme.cloudflareaccess.com" });
    const aud = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";
    expect(writeFiles(outputsFile).status).toBe(0);
    // What `pulumi stack output --json access > .sdgate/access.json` writes, beside the retention.
    writeFileSync(join(dir, "access.json"), JSON.stringify({ ...outputs.access, aud }));
    try {
      const deployed = runCli("deploy-edge.ts", [...deployArgs(), "--dry-run"]);
      expect(deployed.status, deployed.stderr).toBe(0);
      expect(deployed.stdout).toContain("--var SDGATE_ACCESS_TEAM_DOMAIN:acme.cloudflareaccess.com");
      expect(deployed.stdout).toContain(`--var SDGATE_ACCESS_AUD:${aud}`);
      for (const name of ["SDGATE_ACCESS_TEAM_DOMAIN", "SDGATE_ACCESS_AUD"])
        expect(deployed.stdout).toMatch(new RegExp(`env\\.${name} \\(.*Environment Variable`));

      // A file the edge would refuse stops the deploy before anything runs, naming the field.
      const bad = join(dir, "bad-access.json");
      writeFileSync(bad, JSON.stringify({ teamDomain: "acme.cloudflareaccess.com", aud: "[secret]" }));
      const refused = runCli("deploy-edge.ts", [...deployArgs(), "--access", bad, "--dry-run"]);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain(
        "is not the stack's access output:\naud: must be an Access application's AUD tag",
      );
      expect(refused.stdout).not.toContain("$ npx wrangler");
      const missing = runCli("deploy-edge.ts", [
        ...deployArgs(),
        "--access",
        join(dir, "none.json"),
        "--dry-run",
      ]);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toContain("pulumi stack output --json access >");
    } finally {
      rmSync(join(dir, "access.json"));
    }
  }, 60_000);

  it("refuses a stack whose outputs name no model, which would deploy an edge that serves only tiny", () => {
    const bare = join(dir, "bare-outputs.json");
    const outputs = JSON.parse(readFileSync(outputsFile, "utf8")) as Record<string, unknown>;
    delete outputs.edgeModels;
    writeFileSync(bare, JSON.stringify(outputs));
    const refused = runCli("registry.ts", [
      ...["--from", bare, "--out", join(dir, "r.json"), "--models-out", join(dir, "m.json")],
    ]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("no `edgeModels`");

    // A stack from before `edgeModels` whose registry pins model hashes serves those models.
    (outputs.edgeRegistry as Record<string, unknown>).models = { sd15: "sha256:abc" };
    writeFileSync(bare, JSON.stringify(outputs));
    const models = join(dir, "from-registry.json");
    expect(
      runCli("registry.ts", ["--from", bare, "--out", join(dir, "r.json"), "--models-out", models]).status,
    ).toBe(0);
    expect(JSON.parse(readFileSync(models, "utf8"))).toEqual([{ id: "sd15" }]);
  });

  it("refuses a registry past Cloudflare's 5 KB per variable, naming it and its size, before anything runs", () => {
    const big = join(dir, "big-outputs.json");
    const outputs = JSON.parse(readFileSync(outputsFile, "utf8")) as {
      edgeRegistry: { pools: { near?: string[] }[] };
    };
    // The most `near` labels the schema allows, each as long as it allows.
    const countries = Array.from({ length: 300 }, (_, i) => `C${String(i).padStart(7, "0")}`);
    for (const pool of outputs.edgeRegistry.pools) pool.near = countries;
    writeFileSync(big, JSON.stringify(outputs));
    expect(writeFiles(big).status).toBe(0);
    const refused = runCli("deploy-edge.ts", [...deployArgs(), "--dry-run"]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/SDGATE_BACKENDS is \d+ bytes, over the 5000 bytes/);
    expect(refused.stdout).not.toContain("$ npx wrangler");
  });
});
