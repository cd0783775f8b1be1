import { fileURLToPath } from "node:url";
import { mintLocalSignInToken } from "@sdgate/shared";
import { build } from "vite";
import { parseModelFolders } from "../backend/src/config.ts";
import { freePort } from "./stack/free-port.ts";
import { LOCAL_ADAPTER_NAMES } from "./stack/local-adapters.ts";
import { adminTokenProblem } from "./stack/local-secrets.ts";
import { startStack } from "./stack/start-stack.ts";

/**
 * `npm start`: the whole stack on this machine, then a curl that returns a real image.
 * Environment: SDGATE_EDGE_PORT (default 8787), SDGATE_DEV_KEY (random when unset),
 * SDGATE_ADMIN_TOKEN (at least 32 characters; when unset, the one made on the first start and kept in
 * .sdgate/secrets.json with the stack's other local secrets), SDGATE_MODEL_FOLDERS (your models beside
 * `tiny`: `id=/path[,…]`, ONNX export folders or single-file SD 1.5 checkpoints) and
 * SDGATE_TOKENIZER_DIR (CLIP's tokenizer, for single-file checkpoints).
 */
const edgePort = Number(process.env.SDGATE_EDGE_PORT ?? 8787);
if (!Number.isInteger(edgePort) || edgePort < 1 || edgePort > 65535) {
  console.error("SDGATE_EDGE_PORT must be a port number (1-65535).");
  process.exit(2);
}

const folders = parseModelFolders(process.env.SDGATE_MODEL_FOLDERS ?? "");
if (!folders.ok) {
  console.error(`SDGATE_MODEL_FOLDERS: ${folders.error}`);
  process.exit(2);
}
const tokenizerDir = process.env.SDGATE_TOKENIZER_DIR;

// Empty counts as unset, as for SDGATE_DEV_KEY.
const adminToken = process.env.SDGATE_ADMIN_TOKEN || undefined;
const adminTokenError = adminToken === undefined ? null : adminTokenProblem(adminToken);
if (adminTokenError !== null) {
  console.error(`SDGATE_ADMIN_TOKEN ${adminTokenError}.`);
  process.exit(2);
}

const startedMs = performance.now();
const elapsed = () => `${((performance.now() - startedMs) / 1000).toFixed(1)} s`;

try {
  // The edge serves the Studio's build as static assets (wrangler.toml's [assets]), so it comes first.
  console.log(`[${elapsed()}] Building the Studio…`);
  await build({
    configFile: fileURLToPath(new URL("../studio/vite.config.ts", import.meta.url)),
    logLevel: "warn",
  });
  const stack = await startStack({
    edgePort,
    backendPorts: [8101, 8102],
    inspectorPort: await freePort(),
    ...(process.env.SDGATE_DEV_KEY ? { devKey: process.env.SDGATE_DEV_KEY } : {}),
    ...(adminToken === undefined ? {} : { adminToken }),
    models: folders.value,
    ...(tokenizerDir ? { tokenizerDir } : {}),
    onStep: (step) => console.log(`[${elapsed()}] ${step}…`),
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the edge and both backends…`);
    await stack.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  for (const service of stack.services) {
    void service.exited.then((code) => {
      if (stopping) return;
      console.error(`${service.name} exited (code ${code}); see ${service.logPath}. Stopping the rest.`);
      void shutdown("exit");
    });
  }

  console.log(
    `[${elapsed()}] sdgate is up: edge and backends ${stack.backendUrls.join(", ")}; logs in .sdgate/logs/\n`,
  );
  const own = Object.keys(folders.value);
  if (own.length > 0)
    console.log(`Models: tiny, ${own.join(", ")} (ask for one with "model": "${own[0]}")\n`);
  console.log(`SDGATE_URL=${stack.url}`);
  console.log(`SDGATE_API_KEY=${stack.apiKey}`);
  // Not echoed when it came from the environment: the caller has it, and terminals keep scrollback.
  console.log(
    adminToken === undefined
      ? `SDGATE_ADMIN_TOKEN=${stack.adminToken}\n`
      : "# SDGATE_ADMIN_TOKEN: the one in your environment\n",
  );
  // One click signs a local admin in (the link works once, for 15 minutes; restart for another).
  const token = await mintLocalSignInToken(stack.signInSecret);
  const signInLink = `${stack.url}/auth/local?token=${token}&return_to=/studio/`;
  console.log(`The Studio: ${stack.url}/studio/\n`);
  console.log(`Open it signed in as the local admin (one-time link):\n\n  ${signInLink}\n`);
  console.log("Generate an image:\n");
  console.log(
    `curl -s ${stack.url}/v1/images/generations \\\n` +
      `  -H "Authorization: Bearer ${stack.apiKey}" -H "Content-Type: application/json" \\\n` +
      `  -d '{"prompt": "a lighthouse on a cliff at sunset", "size": "256x256", "seed": 42}' \\\n` +
      '  | sed -E \'s/.*"b64_json":"([^"]*)".*/\\1/\' | base64 -d > out.png\n',
  );
  const { model, lora, controlnet } = LOCAL_ADAPTER_NAMES;
  console.log(
    `With npm start's tiny LoRA (${lora}) and ControlNet (${controlnet}, out.png's edges), on ${model}:\n`,
  );
  // the body on stdin: a PNG's base64 is longer than one command-line argument may be (128 KiB on Linux)
  console.log(
    `{ printf '%s' '{"model": "${model}", "prompt": "a lighthouse <lora:${lora}:0.8>", "size": "256x256", "seed": 42,\n` +
      `    "controlnet": [{"model": "${controlnet}", "preprocessor": "canny", "image": "'; base64 < out.png | tr -d '\\n'; printf '"}]}'; } \\\n` +
      `  | curl -s ${stack.url}/v1/images/generations -d @- \\\n` +
      `  -H "Authorization: Bearer ${stack.apiKey}" -H "Content-Type: application/json" \\\n` +
      '  | sed -E \'s/.*"b64_json":"([^"]*)".*/\\1/\' | base64 -d > controlled.png\n',
  );
  console.log(
    "Or as a job with a progress bar, manage API keys and see usage (with the variables above exported):\n",
  );
  console.log(
    'npm run sdgate -- generate "a (red:1.3) lighthouse at dusk" --seed 7 -o lighthouse.png\n' +
      "npm run sdgate -- keys create --name ci --rpm 60 --concurrency 2 --expires-in 30d\n" +
      "npm run sdgate -- keys list\n" +
      "npm run sdgate -- usage\n",
  );
  console.log("Press Ctrl-C to stop.");
} catch (error) {
  console.error(`sdgate failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
