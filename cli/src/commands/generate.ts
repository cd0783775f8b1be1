import { randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { extname } from "node:path";
import { type GenerationResponse, type JobView as JobState, readSse } from "@sdgate/shared";
import { type ApiRequest, buildRequest, type Connection, send } from "../client.ts";
import { ApiError, InterruptedError, type Io, UsageError } from "../io.ts";
import { parse, wholeNumber } from "../options.ts";
import type { Command } from "./command.ts";
import { type Progress, progressLine, queuedLine } from "./generate-progress.ts";

export const GENERATE_USAGE = `Usage: sdgate generate "<prompt>" -o <out.png> [options]

  --size WxH          image size, e.g. 512x512 (default: the model's)
  --steps N           denoising steps
  --seed N            seed (default: random, printed)
  --scheduler S       e.g. euler, dpm++2m, "DPM++ 2M Karras"
  --guidance G        classifier-free guidance scale, e.g. 7.5 (default: the model's)
  --clip-skip N       A1111's clip skip: 2 uses CLIP's layer before the last
  --hires-scale X     A1111's hires fix: make the image, then again X times larger (e.g. 2)
  --hires-strength S  how much the second pass repaints, 0–1 (default 0.7)
  --n N               images (out.png, out-1.png, …)
  --negative TEXT     negative prompt
  --model M           model id (default: the server's default)
  --format F          png, webp, jpeg or avif (default: from -o's extension, else png)
  -o, --output PATH   where to write the image (required)
  --api-key KEY       the API key (default: $SDGATE_API_KEY)
  --url URL           the edge (default: $SDGATE_URL)
  --json              print the finished job as JSON instead of a summary

Submits a job (Prefer: respond-async), shows its progress from the job's event stream (reconnecting
with Last-Event-ID if the stream drops), then writes the images and prints their seeds and timings.
Ctrl-C cancels the job on the server (its credits are refunded); a second Ctrl-C quits at once.`;

/** How many times the event stream is reopened after it drops before the command gives up. */
export const MAX_RECONNECTS = 8;
export const RECONNECT_DELAY_MS = 500;
/** A job's whole life, at most: its event stream and the final read. */
export const JOB_TIMEOUT_MS = 30 * 60_000;

// Each redraw covers the whole previous line.
const LINE_CHARS = 80;

const FORMATS = new Set(["png", "webp", "jpeg", "avif"]);

/** A job as `GET /v1/jobs/{id}` shows it: once it succeeded, with its `result`. */
type JobView = JobState & { result?: GenerationResponse };

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

/** The request body of a generation from the command line; flags that were not given are left out. */
export function generationBody(prompt: string, values: Record<string, string | boolean | undefined>) {
  const body: Record<string, unknown> = { prompt, response_format: "b64_json" };
  const text = (name: string) => (typeof values[name] === "string" ? (values[name] as string) : undefined);
  const size = text("size");
  if (size !== undefined) {
    if (!/^\d{2,5}x\d{2,5}$/.test(size))
      throw new UsageError(`--size must look like 512x512, got '${size}'.`);
    body.size = size;
  }
  const steps = wholeNumber("steps", text("steps"), 1);
  const seed = wholeNumber("seed", text("seed"));
  const n = wholeNumber("n", text("n"), 1);
  if (steps !== undefined) body.steps = steps;
  if (seed !== undefined) body.seed = seed;
  if (n !== undefined) body.n = n;
  if (text("scheduler") !== undefined) body.scheduler = text("scheduler");
  const clipSkip = wholeNumber("clip-skip", text("clip-skip"), 1);
  if (clipSkip !== undefined) body.clip_skip = clipSkip;
  for (const [flag, field] of [
    ["guidance", "guidance_scale"],
    ["hires-scale", "hires_scale"],
    ["hires-strength", "hires_strength"],
  ] as const) {
    const value = text(flag);
    if (value === undefined) continue;
    if (!/^\d+(\.\d+)?$|^\.\d+$/.test(value))
      throw new UsageError(`--${flag} must be a number such as 1.5, got '${value}'.`);
    body[field] = Number(value);
  }
  if (text("negative") !== undefined) body.negative_prompt = text("negative");
  if (text("model") !== undefined) body.model = text("model");
  const output = text("output") ?? "";
  const format = text("format") ?? extname(output).slice(1).toLowerCase().replace(/^jpg$/, "jpeg");
  if (text("format") !== undefined && !FORMATS.has(format)) {
    throw new UsageError(`--format must be one of ${[...FORMATS].join(", ")}, got '${format}'.`);
  }
  if (FORMATS.has(format)) body.output_format = format;
  return body;
}

/** `out.png`, `out-1.png`, `out-2.png`, …: where image `index` of a job goes. */
export function outputPath(output: string, index: number): string {
  if (index === 0) return output;
  const extension = extname(output);
  return `${output.slice(0, output.length - extension.length)}-${index}${extension}`;
}

/** The submit request: the generation with `Prefer: respond-async` and an idempotency key, so a retried submit never makes a second job. */
export function submitRequest(connection: Pick<Connection, "url" | "adminToken">, body: unknown): ApiRequest {
  const request = buildRequest(connection, "POST", "/v1/images/generations", { body });
  request.headers.Prefer = "respond-async";
  request.headers["Idempotency-Key"] = `"${randomUUID()}"`;
  return request;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Follows a job's event stream until its terminal event, drawing progress on stderr. When the stream
 * drops (the connection breaks, or it ends early), it reconnects with `Last-Event-ID` so no event is
 * missed or repeated, up to {@link MAX_RECONNECTS} times.
 */
export async function followJob(
  connection: Connection,
  jobId: string,
  io: Io,
  options: { reconnectDelayMs?: number; signal?: AbortSignal } = {},
): Promise<{ events: number; reconnects: number }> {
  const interrupted = () => options.signal?.aborted === true;
  let lastEventId: string | null = null;
  let reconnects = 0;
  let events = 0;
  let drawn = false;
  for (;;) {
    const request = buildRequest(connection, "GET", `/v1/jobs/${jobId}/events`);
    request.headers.Accept = "text/event-stream";
    if (lastEventId !== null) request.headers["Last-Event-ID"] = lastEventId;
    try {
      const response = await connection.fetch(request.url, {
        headers: request.headers,
        signal: AbortSignal.any([
          AbortSignal.timeout(JOB_TIMEOUT_MS),
          ...(options.signal ? [options.signal] : []),
        ]),
      });
      if (!response.ok || response.body === null) {
        const text = await response.text();
        let message = `HTTP ${response.status}`;
        try {
          message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
        } catch {}
        throw new ApiError(message, { status: response.status });
      }
      for await (const event of readSse(response.body)) {
        events += 1;
        if (event.id !== null) lastEventId = event.id;
        const data = JSON.parse(event.data) as Record<string, unknown>;
        if (event.event === "progress") {
          io.err(`\r${progressLine(data as unknown as Progress).padEnd(LINE_CHARS)}`);
          drawn = true;
        } else if (event.event === "queued") {
          io.err(`\r${queuedLine(Number(data.position), Number(data.estimated_wait_ms)).padEnd(LINE_CHARS)}`);
          drawn = true;
        } else if (event.event === "attempt" && Number(data.attempt) > 1) {
          io.err(
            `${drawn ? "\n" : ""}retrying on ${String(data.backend)} (attempt ${String(data.attempt)})\n`,
          );
          drawn = false;
        } else if (TERMINAL.has(event.event)) {
          if (drawn) io.err("\n");
          return { events, reconnects };
        }
      }
    } catch (error) {
      if (error instanceof ApiError) throw error;
    }
    if (interrupted()) {
      if (drawn) io.err("\n");
      throw new InterruptedError(`Interrupted while following job ${jobId}.`);
    }
    // The stream ended without the job's end: reconnect where it left off.
    reconnects += 1;
    if (reconnects > MAX_RECONNECTS) {
      throw new ApiError(`Lost the job's event stream ${MAX_RECONNECTS} times; the job is ${jobId}.`);
    }
    await sleep(options.reconnectDelayMs ?? RECONNECT_DELAY_MS);
  }
}

function summary(job: JobView, files: string[]): string {
  const result = job.result;
  if (!result) return "";
  const lines = files.map((file, index) => `${file}  seed ${result.data[index]?.seed}  ${result.size}`);
  const timings = Object.entries(result.timings_ms)
    .filter((entry): entry is [string, number] => entry[1] !== undefined)
    .map(([stage, ms]) => `${stage} ${Math.round(ms)} ms`)
    .join(", ");
  lines.push(`model ${result.model} · backend ${result.backend} · attempts ${job.attempts} · job ${job.id}`);
  lines.push(`timings: ${timings}`);
  return `${lines.join("\n")}\n`;
}

/** Ctrl-C: the job would otherwise keep its GPU busy and spend the key's credits for nothing. */
async function cancelJob(connection: Connection, jobId: string, io: Io): Promise<void> {
  try {
    const job = await send<JobView>(connection, buildRequest(connection, "POST", `/v1/jobs/${jobId}/cancel`));
    io.err(`job ${jobId} ${job.status}\n`);
  } catch (error) {
    io.err(`job ${jobId} could not be cancelled: ${(error as Error).message}\n`);
  }
}

async function generate(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, {
    size: { type: "string" },
    steps: { type: "string" },
    seed: { type: "string" },
    scheduler: { type: "string" },
    guidance: { type: "string" },
    "clip-skip": { type: "string" },
    "hires-scale": { type: "string" },
    "hires-strength": { type: "string" },
    n: { type: "string" },
    negative: { type: "string" },
    model: { type: "string" },
    format: { type: "string" },
    output: { type: "string", short: "o" },
    "api-key": { type: "string" },
    url: { type: "string" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (values.help) {
    io.out(`${GENERATE_USAGE}\n`);
    return;
  }
  const [prompt, ...extra] = positionals;
  if (prompt === undefined || prompt.trim() === "") throw new UsageError("generate needs a prompt.");
  if (extra.length > 0) throw new UsageError(`Unexpected argument '${extra[0]}' (quote the prompt).`);
  if (!values.output) throw new UsageError("generate needs -o <file>, e.g. -o out.png.");
  const body = generationBody(prompt, values);
  const url = values.url ?? io.env.SDGATE_URL;
  const apiKey = values["api-key"] ?? io.env.SDGATE_API_KEY;
  if (!url) throw new UsageError("Set SDGATE_URL or pass --url (e.g. http://127.0.0.1:8787).");
  if (!apiKey) throw new UsageError("Set SDGATE_API_KEY or pass --api-key (`npm start` prints one).");
  // The API key travels as the bearer token, exactly as the admin token does for `keys`.
  const connection: Connection = { url, adminToken: apiKey, fetch: io.fetch };

  const submitted = await send<JobView>(connection, submitRequest(connection, body));
  io.err(`job ${submitted.id} ${submitted.status}\n`);
  if (!TERMINAL.has(submitted.status)) {
    try {
      await followJob(connection, submitted.id, io, io.interrupts ? { signal: io.interrupts } : {});
    } catch (error) {
      if (error instanceof InterruptedError) await cancelJob(connection, submitted.id, io);
      throw error;
    }
  }
  const job = await send<JobView>(connection, buildRequest(connection, "GET", `/v1/jobs/${submitted.id}`));
  if (job.status !== "succeeded" || !job.result) {
    const reason = job.error ? `${job.error.message} (${job.error.code})` : job.status;
    throw new ApiError(`The job ${job.status}: ${reason}`, { code: job.error?.code ?? null });
  }
  const files = job.result.data.map((_, index) => outputPath(values.output as string, index));
  await Promise.all(
    job.result.data.map((image, index) =>
      writeFile(files[index] as string, Buffer.from(image.b64_json, "base64")),
    ),
  );
  if (values.json) {
    const { data, ...rest } = job.result;
    io.out(
      `${JSON.stringify({ ...job, result: { ...rest, data: data.map(({ seed }, i) => ({ seed, file: files[i] })) } }, null, 2)}\n`,
    );
  } else {
    io.out(summary(job, files));
  }
}

export const generateCommand: Command = {
  summary: "generate images through a job, with a progress bar",
  usage: GENERATE_USAGE,
  run: generate,
};
