/** A counting semaphore with a FIFO queue: at most `limit` holders at once. */
export class Semaphore {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`Semaphore: limit must be an integer ≥ 1, got ${limit}`);
  }

  /** Callers waiting for a slot now (a caller may refuse work rather than queue behind too many). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Wait for a slot; resolves to the function that gives it back (call it exactly once). */
  async acquire(): Promise<() => void> {
    if (this.active < this.limit) {
      this.active++;
    } else {
      // The releaser hands its slot straight to us, so `active` is unchanged and no newcomer can jump the queue.
      await new Promise<void>((resolve) => this.queue.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    };
  }

  /** Run `task` while holding a slot. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await task();
    } finally {
      release();
    }
  }
}
