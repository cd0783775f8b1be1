import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { TEST_MODEL_CACHE, tinyModelDir } from "./engine/test-models.ts";
import { BACKEND_NAME, GENERATE, keyring, request, signed } from "./server/test-app.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
let child: ChildProcess | undefined;

afterAll(() => {
  if (child?.exitCode === null) child.kill("SIGKILL");
});

/** Starts `main.ts` as the operator would and resolves with its URL once it listens. */
async function startBackend(): Promise<{
  process: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}> {
  await tinyModelDir();
  const proc = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      SDGATE_HMAC_KEYS: `k1:${"s".repeat(40)}`,
      SDGATE_BACKEND_NAME: BACKEND_NAME,
      SDGATE_BACKEND_PORT: "0",
      SDGATE_MODEL_DIR: TEST_MODEL_CACHE,
      SDGATE_EXECUTION_PROVIDERS: "cpu",
      SDGATE_MAX_BATCH: "1",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  child = proc;
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let log = "";
    proc.stderr?.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"/.exec(log);
      if (match) resolve(match[1] as string);
    });
    proc.on("exit", () => reject(new Error(`backend exited early:\n${log}`)));
  });
  return { process: proc, url, exited };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("the backend process", () => {
  it("serves img2img, then drains on SIGTERM: refuses new work, finishes running and queued jobs, exits 0", async () => {
    const backend = await startBackend();
    const readyz = async () => {
      const response = await fetch(`${backend.url}/readyz`);
      return {
        status: response.status,
        body: (await response.json()) as { status: string; in_flight: number; queue_depth: number },
      };
    };
    await waitFor(async () => (await readyz()).status === 200);
    const post = async (overrides: Partial<typeof request>) =>
      fetch(
        `${backend.url}${GENERATE}`,
        await signed(GENERATE, JSON.stringify({ ...request, ...overrides }), {}, keyring),
      );
    // With libvips restricted to PNG, JPEG and WebP, those still decode as inputs.
    const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: "#808080" } })
      .png()
      .toBuffer();
    const img2img = await post({ image: png.toString("base64"), strength: 0.5, steps: 2 });
    expect(img2img.status).toBe(200);

    const running = post({ width: 256, height: 256, steps: 30 });
    await waitFor(async () => (await readyz()).body.in_flight === 1);
    const queued = post({ steps: 10, seed: 9 });
    await waitFor(async () => (await readyz()).body.queue_depth === 1);

    backend.process.kill("SIGTERM");
    await waitFor(async () => (await readyz()).body.status === "draining");
    const refused = await post({});
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");

    expect((await running).status).toBe(200);
    expect((await queued).status).toBe(200);
    expect(await backend.exited).toBe(0);
  });
});
