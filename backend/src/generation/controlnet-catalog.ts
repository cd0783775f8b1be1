import { access, readdir } from "node:fs/promises";
import { join } from "node:path";
import {
  ADAPTER_NAME_PATTERN,
  type BackendAdapter,
  type ResolvedGenerationRequest,
  SdgateError,
} from "@sdgate/shared";
import { CONTROLNET_FILE } from "../engine/control/load-controlnet.ts";
import { ANNOTATOR_FILE, MODEL_PREPROCESSORS, type ModelPreprocessor } from "../engine/control/preprocess.ts";
import { folderDigest } from "../model-digest.ts";

/** A ControlNet folder this backend holds: where it is and the model digest of its files. */
export interface HeldControlNet {
  dir: string;
  digest: string;
}

/** The ControlNets and annotator models a backend holds, found once at startup. */
export interface ControlCatalog {
  controlNets: ReadonlyMap<string, HeldControlNet>;
  /** Where annotator models go (`<dir>/<preprocessor>/model.onnx`), and which of them are there. */
  annotatorDir: string;
  annotators: ReadonlySet<ModelPreprocessor>;
}

/**
 * Every `<dir>/<name>/model.onnx` (onnx-web's `controlnet/<name>/` layout), named by its folder and
 * identified by the folder's model digest (as a model version is); a folder whose name the API could
 * not send is skipped. A missing `dir` holds none. Annotators: `<annotatorDir>/{depth,openpose}/model.onnx`.
 */
export async function scanControlCatalog(dir: string, annotatorDir: string): Promise<ControlCatalog> {
  const controlNets = new Map<string, HeldControlNet>();
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const folder = join(dir, entry.name);
    if (!entry.isDirectory() || !ADAPTER_NAME_PATTERN.test(entry.name)) continue;
    if (!(await exists(join(folder, CONTROLNET_FILE)))) continue;
    controlNets.set(entry.name, { dir: folder, digest: await folderDigest(folder) });
  }
  const annotators = new Set<ModelPreprocessor>();
  for (const kind of MODEL_PREPROCESSORS)
    if (await exists(join(annotatorDir, kind, ANNOTATOR_FILE))) annotators.add(kind);
  return { controlNets, annotatorDir, annotators };
}

/** The catalog as the signed status lists it. */
export function controlNetAdapters(catalog: ControlCatalog): BackendAdapter[] {
  return [...catalog.controlNets].map(([name, { digest }]) => ({ kind: "controlnet", name, digest }));
}

/**
 * Refuses, before the job is queued, a unit this backend cannot run: a ControlNet it does not hold
 * with the request's digest, or a preprocessor whose annotator model it lacks. Both are
 * `adapter_unavailable` (503): another backend may hold them, and the edge tries one.
 */
export function checkControlUnits(request: ResolvedGenerationRequest, catalog: ControlCatalog): void {
  for (const [i, unit] of (request.controlnet ?? []).entries()) {
    const held = catalog.controlNets.get(unit.model);
    if (held?.digest !== unit.digest)
      throw new SdgateError(
        "adapter_unavailable",
        `This backend does not hold ControlNet '${unit.model}' (sha256 ${unit.digest.slice(0, 12)}…); ${held === undefined ? "it has no ControlNet of that name" : `its files for it are sha256 ${held.digest.slice(0, 12)}…`}.`,
        { param: `controlnet.${i}.model` },
      );
    const pre = unit.preprocessor;
    if ((pre === "depth" || pre === "openpose") && !catalog.annotators.has(pre))
      throw new SdgateError(
        "adapter_unavailable",
        `The '${pre}' preprocessor needs its ONNX annotator model, which this backend does not have (it would be ${join(catalog.annotatorDir, pre, ANNOTATOR_FILE)}).`,
        { param: `controlnet.${i}.preprocessor` },
      );
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
