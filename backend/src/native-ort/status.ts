import type { NativeHandle } from "./native-handle.ts";
import type { OrtApi } from "./ort-api.ts";

/** onnxruntime's `OrtErrorCode`s by value (onnxruntime_c_api.h). */
const ERROR_CODES = [
  "OK",
  "FAIL",
  "INVALID_ARGUMENT",
  "NO_SUCHFILE",
  "NO_MODEL",
  "ENGINE_ERROR",
  "RUNTIME_EXCEPTION",
  "INVALID_PROTOBUF",
  "MODEL_LOADED",
  "NOT_IMPLEMENTED",
  "INVALID_GRAPH",
  "EP_FAIL",
  "MODEL_LOAD_CANCELED",
  "MODEL_REQUIRES_COMPILATION",
  "NOT_FOUND",
] as const;

export type OrtErrorCode = (typeof ERROR_CODES)[number] | `UNKNOWN_${number}`;

/** A failed onnxruntime C API call: which call, onnxruntime's error code and its message. */
export class OrtError extends Error {
  override readonly name = "OrtError";
  readonly code: OrtErrorCode;
  /** The C API function that failed, e.g. `CreateSession`. */
  readonly call: string;

  constructor(call: string, code: OrtErrorCode, message: string) {
    super(`onnxruntime ${call} failed (${code}): ${message}`);
    this.call = call;
    this.code = code;
  }
}

export function isOrtError(error: unknown): error is OrtError {
  return error instanceof OrtError;
}

function codeName(value: number): OrtErrorCode {
  return ERROR_CODES[value] ?? `UNKNOWN_${value}`;
}

/**
 * Turns the `OrtStatus*` a C API call returned into nothing (null: success) or a thrown `OrtError`,
 * releasing the status either way: every status onnxruntime hands out is ours to free.
 */
export function check(api: OrtApi, call: string, status: unknown): void {
  if (status === null || status === undefined) return;
  const code = codeName(api.fn.GetErrorCode(status) as number);
  const message = api.fn.GetErrorMessage(status) as string;
  api.fn.ReleaseStatus(status);
  throw new OrtError(call, code, message);
}

/** Calls `api.fn[call](...args)` and checks its status. */
export function call(api: OrtApi, name: keyof OrtApi["fn"], ...args: unknown[]): void {
  check(api, name, api.fn[name](...args));
}

/** Calls a C API function whose last parameter is an `_Out_` pointer and returns what it wrote. */
export function callOut<T = unknown>(api: OrtApi, name: keyof OrtApi["fn"], ...args: unknown[]): T {
  const out: unknown[] = [null];
  check(api, name, api.fn[name](...args, out));
  return out[0] as T;
}

/**
 * The same call on a koffi worker thread, so a long run does not hold the event loop; `held` are the
 * native objects the call uses, kept alive until it returns (see `NativeHandle.hold`).
 */
export function callAsync(
  api: OrtApi,
  name: keyof OrtApi["fn"],
  held: readonly NativeHandle[],
  ...args: unknown[]
): Promise<void> {
  const releases = held.map((handle) => handle.hold());
  return new Promise((resolve, reject) => {
    api.fn[name].async(...args, (error: unknown, status: unknown) => {
      for (const release of releases) release();
      if (error) return reject(error);
      try {
        check(api, name, status);
        resolve();
      } catch (failure) {
        reject(failure);
      }
    });
  });
}
