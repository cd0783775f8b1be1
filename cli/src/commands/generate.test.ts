import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JobView } from "@sdgate/shared";
import { exampleJobView } from "@sdgate/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Io } from "../io.ts";
import { run } from "../run.ts";
import { generationBody, outputPath } from "./generate-body.ts";
import { progressLine } from "./generate-progress.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const API_KEY = `sk_${"c".repeat(40)}`;
const JOB = "job_0123456789abcdef0123456789abcdef";
/** A job whose event stream stays open after its first progress event, until it is cancelled. */
const SLOW_JOB = "job_fedcba9876543210fedcba9876543210";
const PIXELS = [Buffer.from("first image bytes"), Buffer.from("second image bytes")];

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A job as the edge shows it (the contract's view) for this test's request, `status` and anything else as given. */
function jobView(id: string, status: JobView["status"], fields: Partial<JobView> = {}): JobView {
  return exampleJobView(id, { status, created: 1, size: "256x256", n: 2, seed: 42, ...fields });
}

const events = [
  ["attempt", { attempt: 1, backend: "local-a" }],
  ["queued", { position: 1, estimated_wait_ms: 300 }],
  ["progress", { step: 1, steps: 4, image: 0, images: 2, eta_ms: 900, fraction: 0.25 }],
  ["progress", { step: 2, steps: 4, image: 0, images: 2, eta_ms: 600, fraction: 0.5 }],
  ["progress", { step: 3, steps: 4, image: 0, images: 2, eta_ms: 300, fraction: 0.75 }],
  ["progress", { step: 4, steps: 4, image: 0, images: 2, eta_ms: 0, fraction: 1 }],
  ["succeeded", jobView(JOB, "succeeded", { backend: "local-a", attempts: 1 })],
] as const;

const finished = {
  ...jobView(JOB, "succeeded", { backend: "local-a", attempts: 1 }),
  result: {
    created: 1,
    model: "tiny",
    size: "256x256",
    backend: "local-a",
    output_format: "png",
    timings_ms: { text_encode: 3, denoise: 120, decode: 9, image_encode: 2, total: 134 },
    data: PIXELS.map((bytes, index) => ({ b64_json: bytes.toString("base64"), seed: 42 + index })),
  },
};
/** Submits whose body says "flaky" get a 503 first, as an edge between deploys would answer. */
let flakySubmits = 0;

let server: ReturnType<typeof createServer>;
let url = "";
const seen: Seen[] = [];
let dir = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sdgate-generate-"));
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const entry = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(entry);
      if (req.headers.authorization !== `Bearer ${API_KEY}`) {
        res.writeHead(401, { "content-type": "application/json" });
        return res.end(
          JSON.stringify({
            error: { code: "invalid_api_key", message: "Invalid API key." },
            request_id: "r",
          }),
        );
      }
      if (req.method === "POST" && req.url === "/v1/images/generations") {
        if (entry.body.includes("flaky") && flakySubmits++ === 0) {
          res.writeHead(503, { "content-type": "application/json", "retry-after": "0" });
          return res.end(
            JSON.stringify({
              error: { type: "api_error", code: "backend_unavailable", message: "No backend.", param: null },
              request_id: "req_flaky",
            }),
          );
        }
        const id = entry.body.includes("slow") ? SLOW_JOB : JOB;
        res.writeHead(202, { "content-type": "application/json", location: `/v1/jobs/${id}` });
        return res.end(JSON.stringify(jobView(id, "queued")));
      }
      if (req.url === `/v1/jobs/${SLOW_JOB}/events`) {
        res.writeHead(200, { "content-type": "text/event-stream" });
        return void res.write(`id: 1\nevent: progress\ndata: ${JSON.stringify(events[2][1])}\n\n`);
      }
      if (req.method === "POST" && req.url === `/v1/jobs/${SLOW_JOB}/cancel`) {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(JSON.stringify(jobView(SLOW_JOB, "cancelled")));
      }
      if (req.url === `/v1/jobs/${JOB}/events`) {
        const after = Number(req.headers["last-event-id"] ?? 0);
        res.writeHead(200, { "content-type": "text/event-stream" });
        for (const [index, [name, data]] of events.entries()) {
          const id = index + 1;
          if (id <= after) continue;
          res.write(`id: ${id}\nevent: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
          // The first connection drops after the third event, as a flaky network would.
          if (after === 0 && id === 3) return void setTimeout(() => res.destroy(), 50);
        }
        return res.end();
      }
      if (req.url === `/v1/jobs/${JOB}`) {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(JSON.stringify(finished));
      }
      res.writeHead(404);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

function io(env: Record<string, string> = {}) {
  let out = "";
  let err = "";
  const value: Io = {
    out: (text) => (out += text),
    err: (text) => (err += text),
    env,
    fetch: globalThis.fetch,
  };
  return { io: value, out: () => out, err: () => err };
}

describe("sdgate generate", () => {
  it("submits a job, follows its events across a dropped stream, and writes every image", async () => {
    const output = join(dir, "out.png");
    const streams = io({ SDGATE_URL: url, SDGATE_API_KEY: API_KEY });
    const args = [
      "generate",
      "a lighthouse",
      "--size",
      "256x256",
      "--steps",
      "4",
      "--seed",
      "42",
      "--n",
      "2",
    ];
    const code = await run(
      [...args, "--scheduler", "euler", "--negative", "blurry", "-o", output],
      streams.io,
    );
    expect(streams.err()).not.toContain("sdgate generate:");
    expect(code).toBe(0);

    const submit = seen.find((entry) => entry.method === "POST");
    expect(submit?.headers.prefer).toBe("respond-async");
    expect(submit?.headers["idempotency-key"]).toMatch(/\S{16,}/);
    expect(JSON.parse(submit?.body ?? "")).toEqual({
      prompt: "a lighthouse",
      response_format: "b64_json",
      size: "256x256",
      steps: 4,
      seed: 42,
      n: 2,
      scheduler: "euler",
      negative_prompt: "blurry",
      output_format: "png",
    });
    const streamsOpened = seen.filter((entry) => entry.path.endsWith("/events"));
    expect(streamsOpened.map((entry) => entry.headers["last-event-id"])).toEqual([undefined, "3"]);

    expect(streams.err()).toContain("[##############################] 100%  step 4/4 · 2 images");
    expect(streams.err()).toContain("queued: position 1");
    expect(await readFile(output)).toEqual(PIXELS[0]);
    expect(await readFile(join(dir, "out-1.png"))).toEqual(PIXELS[1]);
    expect(streams.out()).toContain(`${output}  seed 42  256x256`);
    expect(streams.out()).toContain(`${join(dir, "out-1.png")}  seed 43  256x256`);
    expect(streams.out()).toContain("backend local-a");
    expect(streams.out()).toContain("denoise 120 ms");
  });

  it("takes any request fields from --body, the prompt and flags taking precedence", async () => {
    const file = join(dir, "body.json");
    await writeFile(
      file,
      JSON.stringify({ prompt: "from the file", rng: "philox", hires_steps: 3, steps: 9, seed: 5 }),
    );
    const streams = io({ SDGATE_URL: url, SDGATE_API_KEY: API_KEY });
    seen.length = 0;
    const code = await run(
      ["generate", "--body", file, "--steps", "4", "-o", join(dir, "b.png")],
      streams.io,
    );
    expect(code).toBe(0);
    const submit = seen.find((entry) => entry.method === "POST");
    expect(JSON.parse(submit?.body ?? "")).toEqual({
      prompt: "from the file",
      rng: "philox",
      hires_steps: 3,
      steps: 4,
      seed: 5,
      response_format: "b64_json",
      output_format: "png",
    });
    const list = join(dir, "list.json");
    await writeFile(list, "[1, 2]");
    expect(await run(["generate", "x", "--body", list, "-o", join(dir, "c.png")], streams.io)).toBe(2);
  });

  it("cancels the job on the server at the first Ctrl-C and exits with status 130", async () => {
    const interrupts = new AbortController();
    const streams = io({ SDGATE_URL: url, SDGATE_API_KEY: API_KEY });
    const running = run(["generate", "a slow harbour", "-o", join(dir, "slow.png")], {
      ...streams.io,
      interrupts: interrupts.signal,
    });
    for (let i = 0; i < 200 && !streams.err().includes("step 1/4"); i++) await sleep(10);
    expect(streams.err()).toContain("step 1/4");
    interrupts.abort();
    expect(await running).toBe(130);
    const cancels = seen.filter((entry) => entry.method === "POST" && entry.path.endsWith("/cancel"));
    expect(cancels.map((entry) => entry.path)).toEqual([`/v1/jobs/${SLOW_JOB}/cancel`]);
    expect(streams.err()).toContain(`job ${SLOW_JOB} cancelled`);
    expect(streams.err()).toContain("Interrupted");
  });

  it("submits again after a 503 with the same Idempotency-Key, so the edge makes one job", async () => {
    const before = seen.length;
    const streams = io({ SDGATE_URL: url, SDGATE_API_KEY: API_KEY });
    expect(await run(["generate", "a flaky pier", "-o", join(dir, "flaky.png")], streams.io)).toBe(0);
    const submits = seen.slice(before).filter((entry) => entry.method === "POST");
    expect(submits).toHaveLength(2);
    expect(submits[1]?.headers["idempotency-key"]).toBe(submits[0]?.headers["idempotency-key"]);
    expect(await readFile(join(dir, "flaky.png"))).toEqual(PIXELS[0]);
  });

  it("explains a missing prompt, output, key or bad flag, with exit status 2", async () => {
    const cases = [
      [["generate", "-o", "x.png"], "needs a prompt"],
      [["generate", "a cat"], "needs -o"],
      [["generate", "a cat", "-o", "x.png", "--url", "http://127.0.0.1:1"], "SDGATE_API_KEY"],
      [["generate", "a cat", "-o", "x.png", "--steps", "0"], "--steps must be a whole number ≥ 1"],
    ] as const;
    for (const [args, message] of cases) {
      const streams = io({ SDGATE_URL: url });
      expect(await run([...args], streams.io)).toBe(2);
      expect(streams.err()).toContain(message);
    }
  });

  it("reports the API's refusal with exit status 1", async () => {
    const streams = io({ SDGATE_URL: url, SDGATE_API_KEY: `sk_${"d".repeat(40)}` });
    expect(await run(["generate", "a cat", "-o", join(dir, "no.png")], streams.io)).toBe(1);
    expect(streams.err()).toContain("Invalid API key.");
  });
});

describe("generate's pieces", () => {
  it("draws a bar of the job's progress", () => {
    expect(progressLine({ step: 6, steps: 20, image: 0, images: 1, eta_ms: 1400, fraction: 0.3 }, 10)).toBe(
      "[###.......]  30%  step 6/20 · 1.4 s left",
    );
  });

  it("names files out.png, out-1.png, … and takes the format from the extension", () => {
    expect([0, 1, 2].map((index) => outputPath("shots/out.webp", index))).toEqual([
      "shots/out.webp",
      "shots/out-1.webp",
      "shots/out-2.webp",
    ]);
    expect(generationBody("p", { output: "a.JPG" }).output_format).toBe("jpeg");
    expect(generationBody("p", { output: "a.bin" }).output_format).toBeUndefined();
    expect(() => generationBody("p", { output: "a.png", size: "big" })).toThrow(/--size/);
  });

  it("passes guidance and clip skip as the API's fields, refusing what is not a number", () => {
    expect(generationBody("p", { output: "a.png", guidance: "7.5", "clip-skip": "2" })).toMatchObject({
      guidance_scale: 7.5,
      clip_skip: 2,
    });
    expect(generationBody("p", { output: "a.png" })).not.toHaveProperty("clip_skip");
    expect(() => generationBody("p", { output: "a.png", guidance: "high" })).toThrow(/--guidance/);
    expect(() => generationBody("p", { output: "a.png", "clip-skip": "0" })).toThrow(/--clip-skip/);
    expect(
      generationBody("p", { output: "a.png", "hires-scale": "2", "hires-strength": ".5" }),
    ).toMatchObject({
      hires_scale: 2,
      hires_strength: 0.5,
    });
    expect(() => generationBody("p", { output: "a.png", "hires-scale": "x2" })).toThrow(/--hires-scale/);
  });

  it("passes an SDXL refiner and where it takes over as the API's refiner", () => {
    const body = generationBody("p", { output: "a.png", refiner: "xl-refiner", "refiner-switch-at": "0.7" });
    expect(body.refiner).toEqual({ model: "xl-refiner", switch_at: 0.7 });
    expect(generationBody("p", { output: "a.png", refiner: "xl-refiner" }).refiner).toEqual({
      model: "xl-refiner",
    });
    expect(() => generationBody("p", { output: "a.png", "refiner-switch-at": "0.7" })).toThrow(/--refiner/);
  });
});
