/**
 * The engine's error kinds. A caller maps `InvalidArgumentError` to a 400 naming `param`, and
 * `ModelLoadError` to a startup failure naming the file or tensor.
 */

/** A request argument the engine cannot honour; `param` is the request field, `value` what it was. */
export class InvalidArgumentError extends Error {
  override readonly name = "InvalidArgumentError";
  readonly param: string;
  readonly value: unknown;

  constructor(param: string, value: unknown, requirement: string) {
    super(`\`${param}\` ${requirement}, but is ${formatValue(value)}`);
    this.param = param;
    this.value = value;
  }
}

/** A model folder that is missing a file, or whose sessions lack a tensor the pipeline needs. */
export class ModelLoadError extends Error {
  override readonly name = "ModelLoadError";
  /** The file or tensor at fault, e.g. `unet/model.onnx` or `unet/model.onnx: timestep`. */
  readonly subject: string;

  constructor(subject: string, message: string, options?: ErrorOptions) {
    super(`${subject}: ${message}`, options);
    this.subject = subject;
  }
}

export function isInvalidArgumentError(error: unknown): error is InvalidArgumentError {
  return error instanceof InvalidArgumentError;
}

export function isModelLoadError(error: unknown): error is ModelLoadError {
  return error instanceof ModelLoadError;
}

/** An `AbortError` as `fetch` and `AbortSignal` raise it, keeping the abort reason as its cause. */
export function abortError(reason: unknown): Error {
  if (reason instanceof Error && reason.name === "AbortError") return reason;
  return new DOMException("generation aborted", { name: "AbortError", cause: reason });
}

function formatValue(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}
