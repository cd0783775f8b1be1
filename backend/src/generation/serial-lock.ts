/**
 * Runs tasks one at a time, in arrival order. One generation at a time keeps a process's memory and
 * latency predictable: onnxruntime already uses every core for one run, so overlapping runs only
 * slow each other down. (A bounded, fair queue with batching replaces this in the serving issue.)
 */
export class SerialLock {
  #tail: Promise<unknown> = Promise.resolve();
  #waiting = 0;

  get waiting(): number {
    return this.#waiting;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.#waiting++;
    const result = this.#tail.then(() => {
      this.#waiting--;
      return task();
    });
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
