import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RegistryDocument } from "@sdgate/shared";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/run-cli.ts";
import { createProgram } from "../program.ts";
import { installMocks, outputOf, settle } from "../test-support/pulumi-mocks.ts";
import { exampleStack } from "../test-support/stack-fixture.ts";
import { buildRegistry, registryProblems } from "./build-registry.ts";
import { type EdgeRetention, edgeRetention } from "./edge-retention.ts";
import { edgeVars } from "./edge-vars.ts";
import { edgeDeployCommands, registryFromStackOutputs } from "./stack-outputs.ts";

installMocks();

const pool = { name: "a", url: "https://a.example.com", provider: "aws", region: "us-east-1", priority: 1 };
let registry: RegistryDocument;

beforeAll(async () => {
  const program = createProgram(exampleStack());
  registry = await outputOf(program.edgeRegistry);
  await settle(program);
});

describe("the edge's backend registry", () => {
  it("lists one pool per cluster at its tunnel hostname, with the registry settings", () => {
    expect(registry).toEqual({
      fleet: "production",
      retry: { attempts: 3 },
      pools: [
        {
          name: "aws-use1",
          url: "https://gpu-aws-use1.example.com",
          provider: "aws",
          region: "us-east-1",
          priority: 0,
          near: ["US", "CA", "NA"],
        },
        {
          name: "gcp-euw4",
          url: "https://gpu-gcp-euw4.example.com",
          provider: "gcp",
          region: "europe-west4",
          priority: 0,
          weight: 1,
          near: ["EU", "DE", "NL", "FR"],
        },
      ],
    });
  });

  it("is accepted by the schema the edge parses it with", () => {
    expect(registryProblems(registry)).toMatchObject({ ok: true, value: { fleet: "production" } });
  });

  it("orders pools by priority, then provider, region and name", () => {
    const pools = [
      { ...pool, name: "d", priority: 2 },
      { ...pool, name: "c", provider: "gcp" },
      { ...pool, name: "b", region: "eu-west-1" },
      { ...pool, name: "a" },
    ];
    expect(buildRegistry({}, pools).pools.map((p) => p.name)).toEqual(["b", "a", "c", "d"]);
  });

  it("the schema check has teeth, and names the field", () => {
    expect(registryProblems({ pools: [{ ...pool, url: "ftp://x" }] })).toEqual({
      ok: false,
      problems: "SDGATE_BACKENDS.pools.0.url: must be an http(s) URL",
    });
    expect(registryProblems({ pools: [pool], strategy: "x" })).toMatchObject({
      ok: false,
      problems: expect.stringContaining("strategy"),
    });
  });

  it("is found in `pulumi stack output --json`, or taken as it is", () => {
    const text = JSON.stringify({ edgeRegistry: registry, clusters: {} });
    expect(registryFromStackOutputs(text)).toEqual(registry);
    expect(registryFromStackOutputs(JSON.stringify(registry))).toEqual(registry);
    expect(() => registryFromStackOutputs("{}")).toThrow(/no `edgeRegistry`/);
    expect(() => registryFromStackOutputs("nope")).toThrow(/not JSON/);
  });

  it("deploys the edge after its migrations and its bucket's lifecycle, with the registry, the models and the retention as vars", () => {
    const { vars: retentionVars } = edgeRetention({ cacheDays: 14, jobHours: 24, auditDays: 400 });
    const vars = edgeVars({ registry: { pools: [pool] }, models: [{ id: "sd15" }], retentionVars });
    const lifecycle = { bucket: "sdgate-images-staging", lifecycleFile: "/tmp/lifecycle.json" };
    expect(edgeDeployCommands("staging", vars, lifecycle)).toEqual([
      ["npx", "wrangler", "d1", "migrations", "apply", "DB", "--remote", "--env", "staging"],
      [
        ..."npx wrangler r2 bucket lifecycle set sdgate-images-staging --file /tmp/lifecycle.json --force".split(
          " ",
        ),
        "--env",
        "staging",
      ],
      [
        "npx",
        "wrangler",
        "deploy",
        "--env",
        "staging",
        "--var",
        `SDGATE_BACKENDS:${JSON.stringify({ pools: [pool] })}`,
        "--var",
        'SDGATE_MODELS:[{"id":"sd15"}]',
        "--var",
        "SDGATE_CACHE_RETENTION_DAYS:14",
        "--var",
        "SDGATE_JOB_RETENTION_HOURS:24",
        "--var",
        "SDGATE_AUDIT_RETENTION_DAYS:400",
      ],
    ]);
  });
});

describe("npm run registry and npm run deploy:edge", () => {
  it("gives a stack from before edgeRetention the defaults, and refuses a retention file edited out of step", () => {
    const dir = mkdtempSync(join(tmpdir(), "sdgate-registry-"));
    const outputs = join(dir, "outputs.json");
    writeFileSync(outputs, JSON.stringify({ edgeRegistry: registry, edgeModels: [{ id: "sd15" }] }));
    const out = join(dir, "registry.json");
    const retentionOut = join(dir, "retention.json");
    const modelsOut = join(dir, "models.json");
    const args = ["--out", out, "--retention-out", retentionOut, "--models-out", modelsOut];
    expect(runCli("registry.ts", ["--from", outputs, ...args]).status).toBe(0);
    const saved = JSON.parse(readFileSync(retentionOut, "utf8")) as EdgeRetention;
    expect(saved).toEqual(edgeRetention({ cacheDays: 30, jobHours: 24, auditDays: 400 }));

    saved.vars.SDGATE_CACHE_RETENTION_DAYS = "7";
    writeFileSync(retentionOut, JSON.stringify(saved));
    const refused = runCli("deploy-edge.ts", [
      ...["--registry", out, "--models", modelsOut, "--retention", retentionOut, "--dry-run"],
    ]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("r2Lifecycle: does not match SDGATE_CACHE_RETENTION_DAYS");
    expect(
      runCli("deploy-edge.ts", [
        "--registry",
        out,
        "--models",
        modelsOut,
        "--retention",
        join(dir, "none.json"),
      ]).stderr,
    ).toContain("run `npm run registry` first");
  });

  it("refuses a registry the edge would refuse, and says why", () => {
    const dir = mkdtempSync(join(tmpdir(), "sdgate-registry-"));
    const outputs = join(dir, "outputs.json");
    writeFileSync(outputs, JSON.stringify({ edgeRegistry: { pools: [] } }));
    const result = runCli("registry.ts", ["--from", outputs, "--out", join(dir, "r.json")]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("the edge would refuse this registry");
    expect(result.stderr).toContain("SDGATE_BACKENDS.pools: must list at least one backend");
    expect(runCli("deploy-edge.ts", ["--registry", join(dir, "missing.json")]).stderr).toContain(
      "run `npm run registry` first",
    );
  });
});
