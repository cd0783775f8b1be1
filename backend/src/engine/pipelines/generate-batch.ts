import { abortError, isInvalidArgumentError } from "../errors.ts";
import { createScheduler } from "../schedulers/index.ts";
import type {
  BatchEntry,
  BatchOptions,
  BatchOutcome,
  GeneratedImage,
  Seed,
  StageTimingsMs,
} from "../types.ts";
import { shapeKey } from "./batch-key.ts";
import { encodeConditioningSchedule, type ScheduledConditioning } from "./conditioning-schedule.ts";
import { decodeLatents } from "./decode-latents.ts";
import { type BatchItem, denoiseBatch } from "./denoise-batch.ts";
import { generate, type PipelineComponents } from "./generate.ts";
import { generatorFor } from "./noise-source.ts";
import { imageMetadata } from "./recipe.ts";
import { type Conditioning, conditioningRequestOf } from "./text-conditioning.ts";
import { type ResolvedRequest, resolveRequest } from "./validate.ts";

/** A request that passed validation, with what its images share. */
interface Prepared<S extends Seed> {
  index: number;
  entry: BatchEntry<S>;
  resolved: ResolvedRequest<S>;
  conditioning: Conditioning;
  timingsMs: StageTimingsMs;
  images: (GeneratedImage<S> | undefined)[];
  startedMs: number;
}

/** One image of one request, as it goes through the batched loop. */
interface Image<S extends Seed> extends BatchItem {
  owner: Prepared<S>;
  image: number;
  seed: S;
}

/**
 * `Pipeline.generateBatch`: validates every request on its own (a refused one is its own outcome),
 * encodes each request's prompts once, then runs the images of all requests in chunks of `maxBatch`
 * through {@link denoiseBatch} and decodes each. A request {@link shapeKey} runs alone goes through
 * {@link generate} on its own, and so does every request on an inpainting UNet; the others must share
 * one key.
 */
export async function generateBatch<S extends Seed>(
  components: PipelineComponents,
  entries: readonly BatchEntry<S>[],
  options: BatchOptions = {},
): Promise<BatchOutcome<S>[]> {
  const outcomes: BatchOutcome<S>[] = [];
  const valid: { index: number; resolved: ResolvedRequest<S> }[] = [];
  for (const [index, entry] of entries.entries()) {
    try {
      valid.push({ index, resolved: resolveRequest(entry.request, components.limits) });
    } catch (error) {
      if (!isInvalidArgumentError(error)) throw error;
      outcomes[index] = { ok: false, error };
    }
  }
  // An inpainting UNet takes each request's mask and masked image with every call.
  const alone = ({ resolved }: { resolved: ResolvedRequest<S> }) =>
    components.traits.inpainting || shapeKey(resolved) === null;
  const together = valid.filter((v) => !alone(v));
  checkCompatible(together.map(({ resolved }) => resolved));
  for (const { index } of valid.filter(alone))
    outcomes[index] = await generateOne(components, entries[index]);

  const prepared: Prepared<S>[] = [];
  for (const { index, resolved } of together) {
    const entry = entries[index] as BatchEntry<S>;
    if (entry.signal?.aborted) {
      outcomes[index] = { ok: false, error: abortError(entry.signal.reason) };
      continue;
    }
    // A scheduler config this port cannot follow fails here, before any work.
    createScheduler(resolved.scheduler, components.schedulerConfig);
    try {
      prepared.push(await encodePrompts(components, index, entry, resolved));
    } catch (error) {
      // A prompt too long or badly weighted is known only once tokenised: that request's own outcome.
      if (!isInvalidArgumentError(error)) throw error;
      outcomes[index] = { ok: false, error };
    }
  }

  const queue: Image<S>[] = prepared.flatMap((owner) =>
    owner.resolved.seeds.map((seed, image) => startImage(components, owner, image, seed)),
  );
  const maxBatch = Math.max(1, options.maxBatch ?? queue.length);
  // Prompts of different lengths (77·k tokens) cannot share a UNet call: one run of chunks per length.
  const tokenCounts = [...new Set(queue.map((image) => image.conditioning.contextDims[1]))];
  for (const tokens of tokenCounts) {
    const group = queue.filter((image) => image.conditioning.contextDims[1] === tokens);
    for (let from = 0; from < group.length; from += maxBatch) {
      await runChunk(components, group.slice(from, from + maxBatch));
    }
  }

  for (const owner of prepared) {
    const { signal } = owner.entry;
    if (signal?.aborted) {
      outcomes[owner.index] = { ok: false, error: abortError(signal.reason) };
      continue;
    }
    owner.timingsMs.total = performance.now() - owner.startedMs;
    outcomes[owner.index] = {
      ok: true,
      result: {
        images: owner.images as GeneratedImage<S>[],
        timingsMs: owner.timingsMs,
        executionProvider: components.executionProvider,
        modelHash: components.model.hash,
        family: components.model.family,
      },
    };
  }
  return outcomes;
}

async function generateOne<S extends Seed>(
  components: PipelineComponents,
  entry: BatchEntry<S> | undefined,
): Promise<BatchOutcome<S>> {
  if (entry === undefined) throw new Error("batch entry missing");
  try {
    const options = {
      ...(entry.signal ? { signal: entry.signal } : {}),
      ...(entry.onProgress ? { onProgress: entry.onProgress } : {}),
    };
    return { ok: true, result: await generate(components, entry.request, options) };
  } catch (error) {
    if (isInvalidArgumentError(error) || entry.signal?.aborted) {
      return { ok: false, error: error instanceof Error ? error : abortError(error) };
    }
    throw error;
  }
}

/** The queue groups requests by `batchKey`; a mismatch here is a caller's bug, not a request's fault. */
function checkCompatible<S extends Seed>(requests: readonly ResolvedRequest<S>[]): void {
  const keys = new Set(requests.map(shapeKey));
  if (keys.size > 1) {
    throw new Error(`requests in one batch must agree on size, steps, scheduler, rng and guidance`);
  }
}

async function encodePrompts<S extends Seed>(
  components: PipelineComponents,
  index: number,
  entry: BatchEntry<S>,
  resolved: ResolvedRequest<S>,
): Promise<Prepared<S>> {
  const startedMs = performance.now();
  const request = conditioningRequestOf(components.text, resolved);
  // not edited (those run alone): one entry, the prompts as they read at every step
  const { entries, tokenizeMs } = await encodeConditioningSchedule(components.text, request, resolved.steps);
  const conditioning = (entries[0] as ScheduledConditioning).conditioning;
  return {
    index,
    entry,
    resolved,
    conditioning,
    timingsMs: {
      tokenize: tokenizeMs,
      textEncode: performance.now() - startedMs - tokenizeMs,
      prepareLatents: 0,
      denoise: 0,
      decode: 0,
      total: 0,
    },
    images: [],
    startedMs,
  };
}

/** txt2img's starting latents (`prepare_latents`): the image's own generator, noise × `init_noise_sigma`. */
function startImage<S extends Seed>(
  components: PipelineComponents,
  owner: Prepared<S>,
  image: number,
  seed: S,
): Image<S> {
  const mark = performance.now();
  const { resolved } = owner;
  const generator = generatorFor(seed, resolved.rng);
  const scheduler = createScheduler(resolved.scheduler, components.schedulerConfig);
  scheduler.setTimesteps(resolved.steps);
  const initSigma = Math.fround(scheduler.initNoiseSigma);
  const latents = generator.randn(latentDimsOf(components, owner)).map((x) => x * initSigma);
  owner.timingsMs.prepareLatents += performance.now() - mark;
  return {
    owner,
    image,
    seed,
    scheduler,
    generator,
    latents,
    conditioning: owner.conditioning,
    guidanceScale: resolved.guidanceScale,
  };
}

async function runChunk<S extends Seed>(components: PipelineComponents, chunk: Image<S>[]): Promise<void> {
  const first = chunk[0];
  if (first === undefined) return;
  const latentDims = latentDimsOf(components, first.owner);
  const timesteps = first.scheduler.timesteps;
  const owners = [...new Set(chunk.map((item) => item.owner))];
  const denoiseStartedMs = performance.now();
  const afterStep = (
    step: number,
    items: readonly BatchItem[],
    denoised: readonly (Float32Array | undefined)[],
  ) => {
    for (const owner of owners) {
      const mine = items.flatMap((item, j) => ((item as Image<S>).owner === owner ? [j] : []));
      const firstOfMine = mine[0];
      if (firstOfMine === undefined) continue;
      const wantsPreview = previewWanted(owner.entry.previewEverySteps, step, timesteps.length);
      owner.entry.onProgress?.({
        step,
        steps: timesteps.length,
        image: (items[firstOfMine] as Image<S>).image,
        images: owner.resolved.n,
        batch: mine.length,
        ...(wantsPreview
          ? { preview: { latents: denoised[firstOfMine] as Float32Array, dims: latentDims } }
          : {}),
      });
    }
  };
  const isActive = (item: BatchItem) => !(item as Image<S>).owner.entry.signal?.aborted;
  // the device loop hands over each half-batch as it finishes: its decode runs beside the next half
  const decodes: Promise<void>[] = [];
  const decodeAll = (items: readonly BatchItem[]) => {
    for (const item of items) decodes.push(decodeImage(components, item as Image<S>, latentDims));
  };
  const onDevice = await denoiseOnDevice(components, chunk, latentDims, afterStep, isActive, decodeAll);
  if (!onDevice) {
    await denoiseBatch({ unet: components.unet, timesteps, latentDims, items: chunk, isActive, afterStep });
  }
  const denoiseMs = performance.now() - denoiseStartedMs;
  for (const owner of owners) owner.timingsMs.denoise += denoiseMs;
  if (!onDevice) decodeAll(chunk);
  await Promise.all(decodes);
}

/** One image of the chunk to RGB with the VAE decoder, into its request's images (unless cancelled). */
async function decodeImage<S extends Seed>(
  components: PipelineComponents,
  item: Image<S>,
  latentDims: readonly [number, number, number, number],
): Promise<void> {
  const { owner } = item;
  if (owner.entry.signal?.aborted) return;
  const mark = performance.now();
  const { width, height } = owner.resolved;
  const rgb = await decodeLatents(
    components.vaeDecoder,
    item.latents,
    latentDims,
    components.scalingFactor,
    width,
    height,
  );
  owner.images[item.image] = {
    seed: item.seed,
    width,
    height,
    rgb,
    metadata: imageMetadata(owner.resolved, item.seed, components.model),
  };
  owner.timingsMs.decode += performance.now() - mark;
}

/**
 * The chunk on the device loop, when the pipeline has one and it takes the chunk: each item's final
 * latents written back, as `denoiseBatch` leaves them. Its batch is fixed once started, so a cancelled
 * item keeps its rows until the chunk ends (its outcome is still the abort), and the chunk stops
 * between two steps once no item is wanted. Previews copy the step's estimate to the host only on the
 * steps that ask for one.
 */
async function denoiseOnDevice(
  components: PipelineComponents,
  chunk: readonly BatchItem[],
  latentDims: readonly [number, number, number, number],
  afterStep: (
    step: number,
    items: readonly BatchItem[],
    denoised: readonly (Float32Array | undefined)[],
  ) => void,
  isActive: (item: BatchItem) => boolean,
  onItemsDone: (items: readonly BatchItem[]) => void,
): Promise<boolean> {
  const loop = components.deviceLoop;
  const first = chunk[0];
  if (loop === undefined || first === undefined) return false;
  const steps = first.scheduler.timesteps.length;
  // one step table serves the chunk: its images must share the algorithm, the steps and the guidance
  const shared = (item: BatchItem) =>
    item.scheduler.name === first.scheduler.name &&
    item.scheduler.timesteps.length === steps &&
    item.guidanceScale === first.guidanceScale;
  if (!chunk.every(shared)) return false;
  const everyoneLeft = new Error("every image of the chunk was cancelled");
  let final: Float32Array[] | undefined;
  try {
    // with `overlap`, the loop runs two half-batches and hands each over as soon as it is done
    final = await loop.run({
      items: chunk,
      guidanceScale: first.guidanceScale,
      latentDims,
      previewAt: (step) =>
        chunk.some((item) => previewWanted((item as Image<Seed>).owner.entry.previewEverySteps, step, steps)),
      afterStep: (step, denoised, items) => {
        if (!chunk.some(isActive)) throw everyoneLeft;
        const active = items.filter((item) => isActive(item as BatchItem));
        afterStep(
          step,
          active as BatchItem[],
          active.map((item) => denoised?.[items.indexOf(item)]),
        );
      },
      onHalfDone: (items, latents) => {
        items.forEach((item, i) => {
          item.latents = latents[i] as Float32Array;
        });
        onItemsDone(items as BatchItem[]);
      },
    });
  } catch (error) {
    if (error === everyoneLeft) return true; // as denoiseBatch returns: each outcome is its abort
    throw error;
  }
  if (final === undefined) return false;
  return true;
}

/** Whether a request that asked for a preview every `every` steps gets one after `step` (and the last). */
function previewWanted(every: number | undefined, step: number, steps: number): boolean {
  return every !== undefined && every > 0 && (step % every === 0 || step === steps);
}

function latentDimsOf<S extends Seed>(
  components: PipelineComponents,
  owner: Prepared<S>,
): [number, number, number, number] {
  return [1, components.latentChannels, owner.resolved.height / 8, owner.resolved.width / 8];
}
