import { describe, expect, it } from "vitest";
import { Semaphore } from "./semaphore.ts";

describe("Semaphore", () => {
  it("never lets more than `limit` tasks run, and serves waiters in order", async () => {
    const semaphore = new Semaphore(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        semaphore.run(async () => {
          order.push(i);
          running++;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("releases the slot when a task throws, and ignores a double release", async () => {
    const semaphore = new Semaphore(1);
    await expect(semaphore.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    const release = await semaphore.acquire();
    release();
    release();
    expect(await semaphore.run(async () => 42)).toBe(42);
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });

  it("counts the callers waiting for a slot", async () => {
    const semaphore = new Semaphore(1);
    const release = await semaphore.acquire();
    const second = semaphore.acquire();
    const third = semaphore.acquire();
    expect(semaphore.waiting).toBe(2);
    release();
    (await second)();
    expect(semaphore.waiting).toBe(0);
    (await third)();
  });
});
