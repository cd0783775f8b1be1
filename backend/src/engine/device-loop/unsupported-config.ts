/**
 * A scheduler setting the device loop's affine step cannot express (e.g. DDIM's `clip_sample`, which
 * clamps the clean-sample estimate). Not a request error: the caller runs the host loop instead.
 * `key` is the scheduler config key (or `scheduler` for a scheduler the device loop does not know).
 */
export class DeviceLoopUnsupportedError extends Error {
  override readonly name = "DeviceLoopUnsupportedError";
  readonly key: string;
  readonly value: unknown;

  constructor(scheduler: string, key: string, value: unknown, reason: string) {
    super(`${scheduler}: ${key} = ${JSON.stringify(value)} cannot run in the device loop (${reason})`);
    this.key = key;
    this.value = value;
  }
}

export function isDeviceLoopUnsupportedError(error: unknown): error is DeviceLoopUnsupportedError {
  return error instanceof DeviceLoopUnsupportedError;
}
