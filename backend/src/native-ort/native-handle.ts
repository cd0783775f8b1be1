import type { OrtApi, OrtFunctionName } from "./ort-api.ts";

/** How many native objects of each kind are alive: leak tests read it before and after. */
const live = new Map<string, number>();

/** Native objects alive now, by kind (`OrtValue`, `OrtSession`, ...): zero-count kinds left out. */
export function liveNativeObjects(): Record<string, number> {
  return Object.fromEntries([...live].filter(([, count]) => count > 0));
}

/**
 * One object onnxruntime allocated for us, with the C function that frees it. `release()` frees it
 * once (later calls do nothing); using a released handle throws instead of crashing the process.
 * Owners release explicitly (`using` works too): a garbage collector cannot see the native memory a
 * small JS object holds, so it would not run in time.
 */
export class NativeHandle implements Disposable {
  readonly #api: OrtApi;
  readonly #kind: string;
  readonly #release: OrtFunctionName;
  #pointer: unknown;
  /** Runs on koffi's worker threads that use this object now; a release waits for them. */
  #holds = 0;
  #releaseWhenFree = false;

  constructor(api: OrtApi, kind: string, release: OrtFunctionName, pointer: unknown) {
    if (pointer === null || pointer === undefined) throw new Error(`onnxruntime returned no ${kind}`);
    this.#api = api;
    this.#kind = kind;
    this.#release = release;
    this.#pointer = pointer;
    live.set(kind, (live.get(kind) ?? 0) + 1);
  }

  get kind(): string {
    return this.#kind;
  }

  get released(): boolean {
    return this.#pointer === null;
  }

  /** The raw pointer, for a C API call. */
  get pointer(): unknown {
    if (this.#pointer === null) throw new Error(`${this.#kind} used after it was released`);
    return this.#pointer;
  }

  /**
   * Keeps the object alive while native code off the main thread uses it (an async run): a `release()`
   * meanwhile, an easy mistake with `using` and an un-awaited promise, is carried out once the last
   * hold ends instead of freeing memory a run is reading. Returns the function that ends this hold.
   */
  hold(): () => void {
    this.pointer; // throws if released
    this.#holds++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#holds--;
      if (this.#holds === 0 && this.#releaseWhenFree) this.release();
    };
  }

  release(): void {
    if (this.#pointer === null) return;
    if (this.#holds > 0) {
      this.#releaseWhenFree = true;
      return;
    }
    this.#api.fn[this.#release](this.#pointer);
    this.#pointer = null;
    live.set(this.#kind, (live.get(this.#kind) ?? 1) - 1);
  }

  [Symbol.dispose](): void {
    this.release();
  }
}
