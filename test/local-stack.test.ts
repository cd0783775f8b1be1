import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createConfig, lintFromString } from "@redocly/openapi-core";
import {
  copyAsCode,
  type GenerationResponse,
  generationResponseSchema,
  OPERATIONS,
  type OperationSpec,
  readPngText,
  type Sweep,
} from "@sdgate/shared";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { ensureTinyModel } from "../backend/src/model-builder/index.ts";
import { adapterScenarios } from "./adapters/scenarios.ts";
import { backendKilledUnderLoad } from "./support/chaos-suite.ts";
import { hostileRequestsSuite } from "./support/hostile-suite.ts";
import { useLocalStack } from "./support/local-stack.ts";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from a PNG's IHDR chunk, which always comes first. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

// beside `tiny` (exported as diffusers' script does), the same tiny model as optimum exports it, with
// every CLIP layer's hidden states: a model of the operator's own, served from SDGATE_MODEL_FOLDERS
const localStack = useLocalStack("e2e", {
  models: async (stateDir) => ({
    "tiny-optimum": await ensureTinyModel(join(stateDir, "own-models"), { exporter: "optimum" }),
    // a tiny SDXL base and refiner (about a second to build, and to load on each backend)
    "tiny-xl": await ensureTinyModel(join(stateDir, "own-models"), { family: "sdxl" }),
    "tiny-xl-refiner": await ensureTinyModel(join(stateDir, "own-models"), { family: "sdxl-refiner" }),
  }),
  // no `architectures`: the edge takes SDXL and its refiner from what the backends detect
});

function generate(body: unknown, apiKey: string | null = localStack.current().apiKey): Promise<Response> {
  return fetch(`${localStack.current().url}/v1/images/generations`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
}

describe("the local stack, end to end", () => {
  it("generates a real PNG of the requested size through the edge and a backend", async () => {
    const response = await generate({
      prompt: "a lighthouse on a cliff at sunset",
      size: "128x96",
      steps: 8,
      seed: 42,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-backend")).toMatch(/^local-[ab]$/);
    const body: GenerationResponse = generationResponseSchema.parse(await response.json());
    expect(body.data[0]?.seed).toBe(42);
    const png = Buffer.from(body.data[0]?.b64_json ?? "", "base64");
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(pngSize(png)).toEqual({ width: 128, height: 96 });
  });

  it("serves tiny through the model registry: npm start registered it as an approved production version", async () => {
    const { url, adminToken } = localStack.current();
    const aliases = await fetch(`${url}/admin/models/tiny/aliases`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(aliases.status).toBe(200);
    const { data } = (await aliases.json()) as { data: Array<{ name: string; version: string }> };
    const production = data.find((alias) => alias.name === "production");
    expect(production?.version).toMatch(/^v\d+$/);
    for (const model of ["tiny", "tiny@production", `tiny@${production?.version}`]) {
      const response = await generate({ prompt: "a lighthouse", size: "64x64", steps: 2, seed: 5, model });
      expect(response.status).toBe(200);
      expect(generationResponseSchema.parse(await response.json()).model_version).toBe(production?.version);
    }
    const staging = await generate({
      prompt: "a lighthouse",
      size: "64x64",
      steps: 2,
      model: "tiny@staging",
    });
    expect(staging.status).toBe(404);
  });

  it("runs the output safety check when the model's policy asks, on the tiny model's own checker", async () => {
    const { url, adminToken } = localStack.current();
    const policy = (method: string, body?: unknown, model = "tiny") =>
      fetch(`${url}/admin/models/${model}/policies/production`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    expect((await policy("PUT", { rules: [], safety_check: "block" })).status).toBe(200);
    try {
      // The isolate that set the policy forgets its cached resolution of the model at once (others
      // within 5 s); the local edge is one isolate.
      const response = await generate({ prompt: "a lighthouse", size: "64x64", steps: 2, seed: 9 });
      expect(response.status).toBe(200);
      const body = generationResponseSchema.parse(await response.json());
      const [image] = body.data;
      // The tiny checker's random concepts pass ordinary images: the decision is recorded either way.
      expect(image?.safety).toMatchObject({ outcome: "passed", concepts: [] });
      const png = Buffer.from(image?.b64_json ?? "", "base64");
      expect(image?.safety?.image_sha256).toBe(createHash("sha256").update(png).digest("hex"));
      expect(body.timings_ms.safety_check).toBeGreaterThan(0);
    } finally {
      expect((await policy("DELETE")).status).toBe(200);
    }
    // A model whose export has no safety checker cannot run the check its policy asks for: said, not skipped.
    expect((await policy("PUT", { rules: [], safety_check: "flag" }, "tiny-optimum")).status).toBe(200);
    try {
      const refused = await generate({ prompt: "a fox", size: "64x64", steps: 2, model: "tiny-optimum" });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({
        error: { code: "invalid_request", param: "safety_check" },
      });
    } finally {
      expect((await policy("DELETE", undefined, "tiny-optimum")).status).toBe(200);
    }
  });

  it("gives the same bytes for the same seed and different ones for another seed", async () => {
    const request = { prompt: "a red fox in the snow", size: "64x64", steps: 4 };
    const images = await Promise.all(
      [7, 7, 8].map(async (seed) => {
        const response = await generate({ ...request, seed });
        return ((await response.json()) as GenerationResponse).data[0]?.b64_json;
      }),
    );
    expect(images[0]).toBe(images[1]);
    expect(images[0]).not.toBe(images[2]);
  });

  it("serves the operator's own model, with clip skip, and names clip_skip where a model cannot", async () => {
    const request = { prompt: "a red fox", size: "64x64", steps: 2, seed: 3 };
    const own = await generate({ ...request, model: "tiny-optimum", clip_skip: 2 });
    expect(own.status).toBe(200);
    const body = generationResponseSchema.parse(await own.json());
    expect(body.data[0]?.b64_json?.length ?? 0).toBeGreaterThan(100);
    const plain = await generate({ ...request, model: "tiny-optimum" });
    const plainBody = generationResponseSchema.parse(await plain.json());
    expect(plainBody.data[0]?.b64_json).not.toBe(body.data[0]?.b64_json);
    const refused = await generate({ ...request, clip_skip: 2 });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: "invalid_request", param: "clip_skip" } });
  });

  it("runs an SDXL refiner after its base through the registry, the edge and a backend serving both", async () => {
    const request = { prompt: "a red fox", model: "tiny-xl", size: "64x64", steps: 4, seed: 3 };
    const refined = await generate({ ...request, refiner: { model: "tiny-xl-refiner", switch_at: 0.5 } });
    expect(refined.status).toBe(200);
    const png = generationResponseSchema.parse(await refined.json()).data[0]?.b64_json ?? "";
    const infotext = (await readPngText(Buffer.from(png, "base64"))).get("parameters");
    expect(infotext).toContain("Refiner: tiny-xl-refiner");
    expect(infotext).toContain("Refiner switch at: 0.5");
    const plain = generationResponseSchema.parse(await (await generate(request)).json());
    expect(plain.data[0]?.b64_json).not.toBe(png);
  });

  it("refuses SDXL's size conditioning on a model that is not SDXL, naming the field, from the backend", async () => {
    const refused = await generate({
      prompt: "a red fox",
      size: "64x64",
      steps: 2,
      original_size: { width: 1024, height: 1024 },
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      error: { code: "invalid_request", param: "original_size" },
    });
  });

  it("serves an OpenAPI document that passes redocly's recommended rules", async () => {
    const source = await (await fetch(`${localStack.current().url}/openapi.json`)).text();
    const problems = await lintFromString({
      source,
      config: await createConfig({ extends: ["recommended"] }),
    });
    // Two exceptions, each named: the document names no licence, as the project has none to name
    // yet; and a browser's sign-in steps answer with a redirect (302), which is what they are, not
    // with a 2XX. Nothing else may be reported.
    const redirects = (Object.values(OPERATIONS) as OperationSpec[])
      .filter((op) => op.success.status >= 300 && op.success.status < 400)
      .map((op) => `#/paths/${op.path.replaceAll("/", "~1")}/${op.method.toLowerCase()}/responses`);
    expect(redirects).toHaveLength(3);
    const reported = problems
      .filter((problem) => problem.ruleId !== "info-license")
      .filter(
        (problem) =>
          problem.ruleId !== "operation-2xx-response" ||
          !redirects.includes(problem.location[0]?.pointer ?? ""),
      )
      .map((problem) => `${problem.severity} ${problem.ruleId}: ${problem.message}`);
    expect(reported, JSON.stringify(reported)).toEqual([]);
  });

  it("runs a sweep past its key's concurrency to the end on the server, with no client resuming it", async () => {
    const { url, adminToken } = localStack.current();
    const made = await fetch(`${url}/admin/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "sweep driver e2e", limits: { concurrency: 1 } }),
    });
    expect(made.status).toBe(201);
    const headers = {
      authorization: `Bearer ${((await made.json()) as { key: string }).key}`,
      "content-type": "application/json",
    };
    const grid = {
      request: { prompt: "a lighthouse", size: "64x64", steps: 1 },
      axes: [{ field: "seed", values: [1, 2, 3] }],
    };
    const created = await fetch(`${url}/v1/sweeps`, { method: "POST", headers, body: JSON.stringify(grid) });
    expect(created.status).toBe(201);
    const sweep = (await created.json()) as Sweep;
    expect(sweep.totals).toMatchObject({ running: 1, pending: 2 });
    // Only reads from here on, and reading submits nothing: the SweepDriver's alarm does.
    const succeeded = async () =>
      ((await (await fetch(`${url}/v1/sweeps/${sweep.id}`, { headers })).json()) as Sweep).totals.succeeded;
    await expect.poll(succeeded, { timeout: 60_000, interval: 1_000 }).toBe(3);
  });

  it("answers 401 without an API key", async () => {
    const response = await generate({ prompt: "x" }, null);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: "missing_api_key" } });
  });

  it("answers 400 for a malformed body, naming the field", async () => {
    const notJson = await generate("{not json");
    expect(notJson.status).toBe(400);
    const badField = await generate({ prompt: "x", width: 100 });
    expect(badField.status).toBe(400);
    expect(await badField.json()).toMatchObject({ error: { code: "invalid_request", param: "width" } });
  });
});

describe("the official openai SDK against the local stack", () => {
  const client = () =>
    new OpenAI({
      baseURL: `${localStack.current().url}/v1`,
      apiKey: localStack.current().apiKey,
      maxRetries: 0,
    });

  it("generates images with images.generate, as b64_json and as a signed url", async () => {
    const b64 = await client().images.generate({
      model: "tiny",
      prompt: "a lighthouse on a cliff at sunset",
      size: "256x256",
      n: 2,
      response_format: "b64_json",
    });
    expect(b64.data).toHaveLength(2);
    const png = Buffer.from(b64.data?.[0]?.b64_json ?? "", "base64");
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(pngSize(png)).toEqual({ width: 256, height: 256 });

    const linked = await client().images.generate({
      model: "tiny",
      prompt: "a lighthouse on a cliff at sunset",
      size: "256x256",
      response_format: "url",
    });
    const url = linked.data?.[0]?.url ?? "";
    expect(url).toContain("/v1/images/");
    const image = await fetch(url);
    expect(image.status).toBe(200);
    expect([...new Uint8Array(await image.arrayBuffer()).subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  });

  it("lists the models, and surfaces our error envelope as the SDK's typed error", async () => {
    const models = await client().models.list();
    expect(models.data.map((model) => model.id)).toContain("tiny");
    const refused = await client()
      .images.generate({ model: "tiny", prompt: "x", size: "100x100" as "256x256" })
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect(refused).toMatchObject({ status: 400, code: "invalid_request", param: expect.any(String) });
  });
});

describe("the LoRA and ControlNet npm start serves, end to end", () => {
  adapterScenarios(() => localStack.current());
});

describe("copy as code: every snippet makes the image the API makes", () => {
  const run = promisify(execFile);
  const repoRoot = join(import.meta.dirname, "..");
  const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

  it("curl, the sdgate SDK, the openai SDK and the CLI each write the same PNG, and the TypeScript ones type-check", async () => {
    const { url, apiKey } = localStack.current();
    const request = {
      model: "tiny",
      prompt: `a fox's "den" $(touch pwned) \`touch pwned\` $HOME \\n\nunder 🌙 -x`,
      negative_prompt: "-blurry, 'dark'",
      size: "64x64",
      steps: 2,
      seed: 1717,
      // No CLI flag says rng: the CLI snippet sends the request whole (--body), and must still match.
      rng: "philox" as const,
    };
    const reference = await fetch(`${url}/v1/images/generations`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${apiKey}`,
        "cache-control": "no-store",
      },
      body: JSON.stringify({ ...request, response_format: "b64_json" }),
      signal: AbortSignal.timeout(60_000),
    });
    expect(reference.status).toBe(200);
    const referenceBody = generationResponseSchema.parse(await reference.json());
    const expected = sha256(Buffer.from(referenceBody.data[0]?.b64_json ?? "", "base64"));

    // Each snippet runs as a person would run it, in a folder of its own in a project whose
    // node_modules is this repository's (so `@sdgate/sdk`, `openai` and `npx --no sdgate` resolve).
    const project = await mkdtemp(join(tmpdir(), "sdgate-copy-as-code-"));
    try {
      await symlink(join(repoRoot, "node_modules"), join(project, "node_modules"));
      await writeFile(join(project, "package.json"), JSON.stringify({ type: "module", private: true }));
      const snippets = Object.entries(copyAsCode(request, { baseUrl: url }));
      expect(snippets.map(([, snippet]) => snippet.omittedFields)).toEqual([[], [], [], []]);
      const env = {
        ...process.env,
        PATH: `${join(repoRoot, "node_modules", ".bin")}:${process.env.PATH ?? ""}`,
        SDGATE_URL: url,
        SDGATE_API_KEY: apiKey,
      };
      const hashes = await Promise.all(
        snippets.map(async ([kind, snippet]) => {
          const folder = join(project, kind);
          await mkdir(folder);
          await writeFile(join(folder, snippet.fileName), snippet.code);
          // --norc: Node's stdin is a socket, which Debian's bash takes for ssh and reads ~/.bashrc
          const [program, ...args] = snippet.language === "bash" ? ["bash", "--norc"] : ["node"];
          await run(program ?? "", [...args, snippet.fileName], { cwd: folder, env, timeout: 60_000 });
          expect(await readdir(folder)).not.toContain("pwned");
          return [kind, sha256(await readFile(join(folder, "image.png")))];
        }),
      );
      expect(Object.fromEntries(hashes)).toEqual({
        curl: expected,
        sdk: expected,
        openai: expected,
        cli: expected,
      });

      // Node strips types without checking them: the two TypeScript snippets must also compile under
      // this repository's strict settings, as a person's strict project would compile them.
      const tsconfig = {
        extends: join(repoRoot, "tsconfig.base.json"),
        compilerOptions: {
          noEmit: true,
          composite: false,
          declaration: false,
          emitDeclarationOnly: false,
          types: ["node"],
        },
        files: ["sdk/generate-sdk.ts", "openai/generate-openai.ts"],
      };
      await writeFile(join(project, "tsconfig.json"), JSON.stringify(tsconfig));
      const compiled = await run("tsc", ["-p", project], { env, timeout: 60_000 }).then(
        () => "",
        (error: { stdout?: string }) => error.stdout ?? String(error),
      );
      expect(compiled).toBe("");
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  });
});

// The fuzz runs last, on this file's stack: a stack of its own cost about 25 s to start.
hostileRequestsSuite(localStack);
// Last: it kills one of the stack's two backends.
backendKilledUnderLoad(localStack);
