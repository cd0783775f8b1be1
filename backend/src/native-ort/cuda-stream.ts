import koffi from "./koffi-setup.ts";

/** The CUDA runtime the CUDA provider itself links (CUDA 13 in the backend image; 12 elsewhere). */
const CUDART_NAMES = ["libcudart.so.13", "libcudart.so.12", "libcudart.so"];
/** `cudaStreamNonBlocking`: no implicit ordering with the legacy default stream. */
const NON_BLOCKING = 1;

/**
 * A CUDA stream created through the CUDA runtime, for sessions to share (`user_compute_stream`): the
 * CUDA provider otherwise gives every session its own stream, so work that one session queues without
 * waiting (run-ahead) is not ordered before the next session's. On one stream it is, in queue order.
 * Kept for the process: sessions created on it must never outlive it.
 */
export function createSharedCudaStream(): bigint {
  const errors: string[] = [];
  for (const name of CUDART_NAMES) {
    let library: ReturnType<typeof koffi.load>;
    try {
      library = koffi.load(name);
    } catch (error) {
      errors.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    kept.push(library);
    const create = library.func("int cudaStreamCreateWithFlags(_Out_ void** stream, unsigned int flags)");
    const stream: unknown[] = [null];
    const status = create(stream, NON_BLOCKING) as number;
    if (status !== 0) throw new Error(`cudaStreamCreateWithFlags failed with CUDA error ${status} (${name})`);
    return koffi.address(stream[0]);
  }
  throw new Error(`no CUDA runtime to create a shared stream with (${errors.join("; ")})`);
}

/** The runtime libraries loaded, kept alive with the streams they made (koffi unloads collected ones). */
const kept: ReturnType<typeof koffi.load>[] = [];
