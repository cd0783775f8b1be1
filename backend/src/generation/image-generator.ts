import type { BackendGenerateResponse, ResolvedGenerationRequest } from "@sdgate/shared";

/**
 * What the HTTP layer needs from the engine. The real one runs diffusion (see engine-generator.ts);
 * server tests use a fake, so the HTTP behaviour is tested without running a model.
 */
export interface ImageGenerator {
  /** Ids of the models this backend can serve. */
  readonly modelIds: readonly string[];
  generate(request: ResolvedGenerationRequest, signal: AbortSignal): Promise<BackendGenerateResponse>;
}
