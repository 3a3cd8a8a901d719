// The host side of Espruino's idle loop: every Node handle the runtime creates (immediates,
// timeouts) goes through here, so teardown can clear them all and leave Node's loop free.

/** A Node timer started by the loop; cancel it with Loop.cancel. */
export type LoopTimer = ReturnType<typeof setTimeout>;

export class Loop {
  private readonly immediates = new Set<ReturnType<typeof setImmediate>>();
  private readonly timeouts = new Set<LoopTimer>();
  private dead = false;

  /** `report` prints an exception the way Espruino prints an uncaught one. */
  constructor(private readonly report: (error: unknown) => void) {}

  get alive(): boolean {
    return !this.dead;
  }

  /** Runs `fn` from a later macrotask (one pass of the idle loop); never synchronously. */
  soon(fn: () => void): void {
    if (this.dead) return;
    const handle = setImmediate(() => {
      this.immediates.delete(handle);
      if (!this.dead) fn();
    });
    this.immediates.add(handle);
  }

  /** Runs `fn` after `ms` milliseconds unless cancelled or disposed first. */
  after(ms: number, fn: () => void): LoopTimer | undefined {
    if (this.dead) return undefined;
    const handle: LoopTimer = setTimeout(
      () => {
        this.timeouts.delete(handle);
        if (!this.dead) fn();
      },
      Math.max(0, Math.min(ms, 0x7fffffff)),
    );
    this.timeouts.add(handle);
    return handle;
  }

  cancel(handle: LoopTimer | undefined): void {
    if (handle === undefined) return;
    clearTimeout(handle);
    this.timeouts.delete(handle);
  }

  /** Calls script code; an exception is reported as "Uncaught ..." and swallowed, like Espruino. */
  guard(fn: () => void): boolean {
    if (this.dead) return false;
    try {
      fn();
      return true;
    } catch (error) {
      this.report(error);
      return false;
    }
  }

  /** Clears every pending handle; nothing scheduled through this loop runs afterwards. */
  dispose(): void {
    this.dead = true;
    for (const h of this.immediates) clearImmediate(h);
    for (const h of this.timeouts) clearTimeout(h);
    this.immediates.clear();
    this.timeouts.clear();
  }
}
