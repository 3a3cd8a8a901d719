// process.memory() for the host. Node cannot count Espruino JsVars, so this is an ESTIMATE:
// usage = (V8 heap used now - heap used just before the script started) / 27 bytes (the Linux
// build's JsVar size), after a GC when Node runs with --expose-gc. It moves with the script's
// allocations but also with anything else in the same Node process (test servers, brokers):
// use it for trends, never as a device figure. Measure real JsVars on Espruino for Linux.
// `total` starts at the configured pool and doubles while usage reaches it, like the Linux
// build's resizable pool, so the estimate never reports the memory as exhausted.

/** What process.memory() returns (numbers, in JsVar blocks). */
export interface MemoryInfo {
  free: number;
  usage: number;
  total: number;
  history: number;
  gc?: number;
  gctime?: number;
  blocksize: number;
}

const BLOCK_SIZE = 27; // sizeof(JsVar) on the Linux build

export class MemoryModel {
  private readonly baseline: number;

  constructor(private readonly total: number) {
    this.baseline = process.memoryUsage().heapUsed;
  }

  /** `gc` false skips the collection, as process.memory(false) does on Espruino. */
  read(gc: unknown = true): MemoryInfo {
    const collect = (globalThis as { gc?: () => void }).gc;
    let gcTime: number | undefined;
    if (gc !== false && typeof collect === "function") {
      const t0 = performance.now();
      collect();
      gcTime = performance.now() - t0;
    }
    const heap = process.memoryUsage().heapUsed;
    const usage = Math.max(0, Math.round((heap - this.baseline) / BLOCK_SIZE));
    // The Linux build's pool is resizable: it doubles instead of running out.
    let total = this.total;
    while (usage >= total) total *= 2;
    const info: MemoryInfo = {
      free: total - usage,
      usage,
      total,
      history: 0,
      blocksize: BLOCK_SIZE,
    };
    if (gc !== false) {
      info.gc = 0; // V8 does not say how many blocks it freed
      info.gctime = gcTime ?? 0;
    }
    return info;
  }
}
