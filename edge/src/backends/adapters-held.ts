import type { ResolvedGenerationRequest } from "@sdgate/shared";
import type { HealthView } from "./health.ts";
import type { Backend } from "./registry.ts";

/** One LoRA or ControlNet model a resolved request applies, as messages name it. */
interface WantedAdapter {
  label: string;
  digest: string;
  /** The request field it came from. */
  param: "lora" | "controlnet";
}

/** The adapters a request applies, each digest once. */
export function wantedAdapters(request: ResolvedGenerationRequest): WantedAdapter[] {
  const wanted: WantedAdapter[] = [
    ...(request.lora ?? []).map((lora) => ({
      label: `LoRA '${lora.name}'`,
      digest: lora.digest,
      param: "lora" as const,
    })),
    ...(request.controlnet ?? []).map((unit) => ({
      label: `ControlNet model '${unit.model}'`,
      digest: unit.digest,
      param: "controlnet" as const,
    })),
  ];
  return wanted.filter((adapter, i) => wanted.findIndex((other) => other.digest === adapter.digest) === i);
}

/**
 * Whether `backend` last said it holds the request's model version (if it names one) and every
 * adapter, and with a refiner both models (their versions, if named): a refiner runs on the backend
 * that runs its base.
 */
export function holdsEverything(
  health: HealthView,
  backend: Backend,
  request: ResolvedGenerationRequest,
  adapters: readonly WantedAdapter[],
): boolean {
  const version = request.model_version;
  return (
    (version === undefined || health.holds(backend.name, request.model, version.digest)) &&
    adapters.every((adapter) => health.holdsAdapter(backend.name, adapter.digest)) &&
    (request.refiner === undefined || servesRefiner(health, backend, request))
  );
}

/** Whether `backend` said it serves the request's base model and its refiner (their versions, if named). */
function servesRefiner(health: HealthView, backend: Backend, request: ResolvedGenerationRequest): boolean {
  const held = (model: string, version: { digest: string } | undefined) =>
    version === undefined
      ? health.serves(backend.name, model)
      : health.holds(backend.name, model, version.digest);
  const { refiner } = request;
  return (
    refiner !== undefined &&
    held(request.model, request.model_version) &&
    held(refiner.model, refiner.model_version)
  );
}

/**
 * Why no backend may run a request naming adapters or a refiner, when its model version is not the
 * reason: no backend serving the model with its refiner, or the adapters no backend holds (or, when
 * each is held somewhere, that no one backend holds them all). `null` when the request names
 * neither, or its model version is held nowhere (that 503 says so).
 */
export function adaptersNotHeld(
  health: HealthView,
  pools: readonly Backend[],
  request: ResolvedGenerationRequest,
): { message: string; param: string } | null {
  const adapters = wantedAdapters(request);
  const version = request.model_version;
  const versionHeld =
    version === undefined ||
    pools.some((backend) => health.holds(backend.name, request.model, version.digest));
  if (!versionHeld) return null;
  if (request.refiner !== undefined && !pools.some((backend) => servesRefiner(health, backend, request)))
    return {
      param: "refiner.model",
      message: `No backend that is up serves the model '${request.model}' together with the refiner '${request.refiner.model}'${request.refiner.model_version === undefined ? "" : ` (version ${request.refiner.model_version.version})`}.`,
    };
  if (adapters.length === 0) return null;
  const named = (list: readonly WantedAdapter[]) =>
    list.map((adapter) => `${adapter.label} (sha256 ${adapter.digest.slice(0, 12)}…)`).join(", ");
  const missing = adapters.filter(
    (adapter) => !pools.some((backend) => health.holdsAdapter(backend.name, adapter.digest)),
  );
  const first = missing[0] ?? adapters[0];
  return {
    param: first?.param ?? "lora",
    message:
      missing.length > 0
        ? `No backend that is up holds ${named(missing)}: it is registered and approved, but its files are not deployed.`
        : `No one backend holds all of ${named(adapters)} together with the model's files.`,
  };
}
