import { execFile } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import chromium from "@sparticuz/chromium";
import { chromium as playwright } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeServer, fakeServer, json } from "../src/test-support/fake-server.ts";
import { standaloneBundle } from "./build-package.ts";

const REPO_DIR = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const run = promisify(execFile);

// The same program in each runtime: a call, an API error as SdgateApiError, and a webhook checked
// with WebCrypto. It prints (Deno) or publishes (a page) one JSON result.
const PROGRAM = `
const client = new Sdgate({ baseUrl: BASE_URL, adminToken: "t", maxRetries: 0 });
const health = await client.health();
const missing = await client.keys.get("key_0").catch((error) => error);
const webhook = await verifyWebhookSignature(WEBHOOK).then(() => "valid", (error) => error.reason);
const forged = await verifyWebhookSignature({ ...WEBHOOK, body: WEBHOOK.body + " " }).then(() => "valid", (error) => error.reason);
const result = { health, code: missing instanceof SdgateApiError ? missing.code : String(missing), webhook, forged };`;

/** A webhook signed as the edge signs one (Standard Webhooks), with a fresh secret. */
function signedWebhook() {
  const key = randomBytes(24);
  const id = "msg_1";
  const timestamp = String(Math.floor(Date.now() / 1000));
  const body = JSON.stringify({ type: "job.succeeded" });
  const signature = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return {
    secret: `whsec_${key.toString("base64")}`,
    headers: { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": `v1,${signature}` },
    body,
  };
}

const EXPECTED = {
  health: { status: "ok" },
  code: "not_found",
  webhook: "valid",
  forged: "no_matching_signature",
};

describe("@sdgate/sdk in other runtimes (fetch and WebCrypto only)", () => {
  let server: FakeServer;
  let bundle: string;
  const work = mkdtempSync(join(tmpdir(), "sdgate-sdk-runtimes-"));

  beforeAll(async () => {
    bundle = await standaloneBundle();
    server = await fakeServer((request, response) => {
      if (request.path === "/sdk.js") {
        return response.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
      }
      if (request.path === "/") {
        const page = `<!doctype html><script type="module">
import { Sdgate, SdgateApiError, verifyWebhookSignature } from "/sdk.js";
const BASE_URL = location.origin; const WEBHOOK = ${JSON.stringify(signedWebhook())};
${PROGRAM}
window.sdkResult = result;</script>`;
        return response.writeHead(200, { "content-type": "text/html" }).end(page);
      }
      if (request.path === "/healthz") return json(response, 200, { status: "ok" });
      return json(response, 404, {
        error: { type: "not_found_error", code: "not_found", message: "No such key.", param: "id" },
      });
    });
    writeFileSync(join(work, "sdk.js"), bundle);
  }, 60_000);

  afterAll(async () => {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("runs in Deno with only network access to the edge", async () => {
    const script = join(work, "program.mjs");
    writeFileSync(
      script,
      `import { Sdgate, SdgateApiError, verifyWebhookSignature } from "./sdk.js";
const BASE_URL = ${JSON.stringify(server.url)}; const WEBHOOK = ${JSON.stringify(signedWebhook())};
${PROGRAM}
console.log(JSON.stringify(result));`,
    );
    const deno = join(REPO_DIR, "node_modules/.bin/deno");
    const host = new URL(server.url).host;
    const { stdout } = await run(deno, ["run", "--no-config", "--no-prompt", `--allow-net=${host}`, script], {
      env: { ...process.env, DENO_DIR: join(work, "deno-cache"), NO_COLOR: "1" },
    });
    expect(JSON.parse(stdout)).toEqual(EXPECTED);
  }, 60_000);

  it("runs in a browser page (headless Chromium)", async () => {
    const browser = await playwright.launch({
      executablePath: await chromium.executablePath(),
      args: chromium.args,
      headless: true,
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(`${server.url}/`);
      await page.waitForFunction("'sdkResult' in window", undefined, { timeout: 20_000 });
      expect(errors).toEqual([]);
      expect(await page.evaluate("window.sdkResult")).toEqual(EXPECTED);
    } finally {
      await browser.close();
    }
  }, 90_000);
});
