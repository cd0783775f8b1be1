/** What the queue needs to know of a job. */
export interface Queued {
  tenant: string;
  /** Jobs with the same key can share a UNet call; `null` never shares. */
  batchKey: string | null;
  /** Images the job makes: its share of a batch. */
  images: number;
}

/**
 * A bounded queue that is fair across tenants (API keys): one FIFO per tenant, served round-robin,
 * so a tenant with a hundred queued jobs delays another tenant's next job by at most one batch.
 * A batch starts with the next tenant's oldest job and is filled with compatible jobs, again taking
 * tenants in turn.
 *
 * @example
 * const queue = new FairQueue<Job>(64);
 * if (!queue.push(job)) return tooBusy();
 * const batch = queue.takeBatch(4);
 */
export class FairQueue<T extends Queued> {
  readonly #capacity: number;
  readonly #byTenant = new Map<string, T[]>();
  /** Tenants with queued jobs; the first is served next, then moves to the back. */
  #ring: string[] = [];
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be ≥ 1, got ${capacity}`);
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#size;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** Adds a job; `false` when the queue is full. */
  push(item: T): boolean {
    if (this.#size >= this.#capacity) return false;
    const queue = this.#byTenant.get(item.tenant);
    if (queue === undefined) {
      this.#byTenant.set(item.tenant, [item]);
      this.#ring.push(item.tenant);
    } else {
      queue.push(item);
    }
    this.#size++;
    return true;
  }

  /** Removes a queued job (cancelled or expired); `false` if it was not queued. */
  remove(item: T): boolean {
    const queue = this.#byTenant.get(item.tenant);
    const index = queue?.indexOf(item) ?? -1;
    if (queue === undefined || index < 0) return false;
    queue.splice(index, 1);
    this.#size--;
    this.#dropIfEmpty(item.tenant);
    return true;
  }

  /** The next batch: at most `maxImages` images, or one job when that job alone has more. Empty when idle. */
  takeBatch(maxImages: number): T[] {
    const leaderTenant = this.#ring[0];
    if (leaderTenant === undefined) return [];
    const leader = this.#take(leaderTenant, 0);
    const batch = [leader];
    let images = leader.images;
    // Fill from the other tenants first, in their turn, then the leader's own.
    const order = [...this.#ring.slice(1), leaderTenant];
    for (let progressed = leader.batchKey !== null; progressed && images < maxImages; ) {
      progressed = false;
      for (const tenant of order) {
        const queue = this.#byTenant.get(tenant);
        const index =
          queue?.findIndex((job) => job.batchKey === leader.batchKey && images + job.images <= maxImages) ??
          -1;
        if (index < 0) continue;
        const job = this.#take(tenant, index);
        batch.push(job);
        images += job.images;
        progressed = true;
      }
    }
    // The leader's tenant goes to the back of the ring, if it still waits.
    this.#ring = this.#ring.filter((tenant) => tenant !== leaderTenant && this.#byTenant.has(tenant));
    if (this.#byTenant.has(leaderTenant)) this.#ring.push(leaderTenant);
    return batch;
  }

  /** Queued jobs in the order they would start, one per turn (batching can only make them earlier). */
  serviceOrder(): T[] {
    const queues = new Map([...this.#byTenant].map(([tenant, queue]) => [tenant, [...queue]]));
    const ring = [...this.#ring];
    const order: T[] = [];
    while (ring.length > 0) {
      const tenant = ring.shift() as string;
      const queue = queues.get(tenant) as T[];
      order.push(queue.shift() as T);
      if (queue.length > 0) ring.push(tenant);
    }
    return order;
  }

  #take(tenant: string, index: number): T {
    const queue = this.#byTenant.get(tenant) as T[];
    const [item] = queue.splice(index, 1);
    this.#size--;
    if (queue.length === 0) this.#byTenant.delete(tenant);
    return item as T;
  }

  #dropIfEmpty(tenant: string): void {
    if ((this.#byTenant.get(tenant)?.length ?? 0) > 0) return;
    this.#byTenant.delete(tenant);
    this.#ring = this.#ring.filter((t) => t !== tenant);
  }
}
