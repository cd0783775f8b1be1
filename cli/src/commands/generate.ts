import { writeFile } from "node:fs/promises";
import type { GenerationBody, JobWithResult, Sdgate } from "@sdgate/sdk";
import { apiErrorOf } from "../api-error-of.ts";
import { ApiError, InterruptedError, type Io, UsageError } from "../io.ts";
import { jsonFile } from "../json-file.ts";
import { apiClient, parse } from "../options.ts";
import type { Command } from "./command.ts";
import { generationBody, outputPath } from "./generate-body.ts";
import { progressPainter } from "./generate-progress.ts";

export const GENERATE_USAGE = `Usage: sdgate generate "<prompt>" -o <out.png> [options]

  --size WxH          image size, e.g. 512x512 (default: the model's)
  --steps N           denoising steps
  --seed N            seed (default: random, printed)
  --scheduler S       e.g. euler, dpm++2m, "DPM++ 2M Karras"
  --guidance G        classifier-free guidance scale, e.g. 7.5 (default: the model's)
  --clip-skip N       A1111's clip skip: 2 uses CLIP's layer before the last
  --hires-scale X     A1111's hires fix: make the image, then again X times larger (e.g. 2)
  --hires-strength S  how much the second pass repaints, 0–1 (default 0.7)
  --refiner M         an SDXL refiner model that takes over from the (SDXL) model, as A1111's "Refiner"
  --refiner-switch-at X  where the refiner takes over, 0–1 (default 0.8)
  --n N               images (out.png, out-1.png, …)
  --negative TEXT     negative prompt
  --model M           model id or reference: sd15, sd15@staging, sd15@v3 (default: the server's)
  --body FILE         a JSON file (or /dev/stdin) of any request fields, the API's names; the prompt
                      and the flags above take precedence over it
  --format F          png, webp, jpeg or avif (default: from -o's extension, else png)
  -o, --output PATH   where to write the image (required)
  --api-key KEY       the API key (default: $SDGATE_API_KEY)
  --url URL           the edge (default: $SDGATE_URL)
  --json              print the finished job as JSON instead of a summary

Submits a job (Prefer: respond-async), shows its progress from the job's event stream (reconnecting
with Last-Event-ID if the stream drops), then writes the images and prints their seeds and timings.
Ctrl-C cancels the job on the server (its credits are refunded); a second Ctrl-C quits at once.`;

/** Drops of the job's event stream in a row, with no event between them, before the command gives up. */
export const MAX_RECONNECTS = 8;
/** How long the command follows a job before it gives up on it (the job goes on). */
export const JOB_TIMEOUT_MS = 30 * 60_000;

/**
 * Follows a job's event stream to its end, drawing progress on stderr. The SDK resumes a dropped
 * stream with `Last-Event-ID`, so no event is missed or drawn twice.
 */
async function followJob(client: Sdgate, jobId: string, io: Io): Promise<void> {
  const painter = progressPainter(io.err);
  const timeout = AbortSignal.timeout(JOB_TIMEOUT_MS);
  const signal = io.interrupts ? AbortSignal.any([timeout, io.interrupts]) : timeout;
  try {
    for await (const event of client.jobs.events(jobId, { signal, maxRetries: MAX_RECONNECTS })) {
      painter.draw(event);
    }
  } catch (error) {
    if (io.interrupts?.aborted) throw new InterruptedError(`Interrupted while following job ${jobId}.`);
    if (timeout.aborted) {
      throw new ApiError(
        `Stopped following job ${jobId} after ${JOB_TIMEOUT_MS / 60_000} minutes; it may still be running.`,
      );
    }
    throw error;
  } finally {
    painter.end();
  }
}

/** Ctrl-C: the job would otherwise keep its GPU busy and spend the key's credits for nothing. */
async function cancelJob(client: Sdgate, jobId: string, io: Io): Promise<void> {
  try {
    const job = await client.jobs.cancel(jobId);
    io.err(`job ${jobId} ${job.status}\n`);
  } catch (error) {
    io.err(`job ${jobId} could not be cancelled: ${(apiErrorOf(error) as Error).message}\n`);
  }
}

/** The images' bytes; the command asks for `b64_json`, so links instead are the server's mistake. */
function imagesOf(result: NonNullable<JobWithResult["result"]>): Buffer[] {
  const images: ReadonlyArray<{ seed: number; b64_json?: string }> = result.data;
  return images.map((image) => {
    if (image.b64_json === undefined)
      throw new ApiError("The job's result has links, not the images asked for.");
    return Buffer.from(image.b64_json, "base64");
  });
}

function summary(job: JobWithResult, files: string[]): string {
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

/** `--body`: a JSON object of request fields. */
async function bodyFile(path: string): Promise<Record<string, unknown>> {
  const parsed = await jsonFile(path);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new UsageError(`--body: '${path}' must hold a JSON object of request fields.`);
  return parsed as Record<string, unknown>;
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
    refiner: { type: "string" },
    "refiner-switch-at": { type: "string" },
    n: { type: "string" },
    negative: { type: "string" },
    model: { type: "string" },
    body: { type: "string" },
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
  const fromFile = values.body === undefined ? {} : await bodyFile(values.body);
  const [given, ...extra] = positionals;
  const prompt = given ?? (typeof fromFile.prompt === "string" ? fromFile.prompt : undefined);
  if (prompt === undefined || prompt.trim() === "") throw new UsageError("generate needs a prompt.");
  if (extra.length > 0) throw new UsageError(`Unexpected argument '${extra[0]}' (quote the prompt).`);
  if (!values.output) throw new UsageError("generate needs -o <file>, e.g. -o out.png.");
  // The file's fields, then what the command line says (the edge checks them all, naming the field).
  const body = { ...fromFile, ...generationBody(prompt, values) } as GenerationBody;
  const client = apiClient(values, io);

  const submitted = await client.images.generateAsync(body);
  io.err(`job ${submitted.id} ${submitted.status}\n`);
  if (submitted.status === "queued" || submitted.status === "running") {
    try {
      await followJob(client, submitted.id, io);
    } catch (error) {
      if (error instanceof InterruptedError) await cancelJob(client, submitted.id, io);
      throw error;
    }
  }
  const job = await client.jobs.get(submitted.id);
  if (job.status !== "succeeded" || !job.result) {
    const reason = job.error ? `${job.error.message} (${job.error.code})` : job.status;
    throw new ApiError(`The job ${job.status}: ${reason}`, { code: job.error?.code ?? null });
  }
  const output = values.output;
  const images = imagesOf(job.result);
  const files = images.map((_, index) => outputPath(output, index));
  await Promise.all(images.map((bytes, index) => writeFile(outputPath(output, index), bytes)));
  if (values.json) {
    const { data, ...rest } = job.result;
    const seeds: ReadonlyArray<{ seed: number }> = data;
    const written = seeds.map(({ seed }, i) => ({ seed, file: files[i] }));
    io.out(`${JSON.stringify({ ...job, result: { ...rest, data: written } }, null, 2)}\n`);
  } else {
    io.out(summary(job, files));
  }
}

export const generateCommand: Command = {
  summary: "generate images through a job, with a progress bar",
  usage: GENERATE_USAGE,
  run: generate,
};
