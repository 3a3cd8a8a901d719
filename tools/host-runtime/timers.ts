// Espruino's timers (jsinteractive.c): one ordered list; ids are "last id in the list + 1",
// so ids restart at 1 once every timer is gone and a stale id can clear a newer timer.
// A timeout is removed after its callback ran; an interval is rescheduled at due + interval.
import type { Loop, LoopTimer } from "./loop";
import type { Realm } from "./realm";

interface Timer {
  id: number;
  due: number; // performance.now() milliseconds
  interval: number | undefined;
  callback: Function | string;
  args: unknown[];
}

const MIN_INTERVAL = 0.1; // TIMER_MIN_INTERVAL, milliseconds
const MAX_INTERVAL = 31536000001000; // TIMER_MAX_INTERVAL, milliseconds
const MAX_RESTARTS = 1000; // bound one pass if callbacks keep changing the timer list

export class Timers {
  private list: Timer[] = [];
  private wake: LoopTimer | undefined;
  private changed = false;

  constructor(
    private readonly loop: Loop,
    private readonly realm: Realm,
  ) {}

  get count(): number {
    return this.list.length;
  }

  add(callback: unknown, ms: unknown, args: unknown[], isInterval: boolean): number {
    if (typeof callback !== "function" && typeof callback !== "string") {
      throw this.realm.error("Error", "Function or String not supplied!");
    }
    const interval = clampInterval(ms);
    if (interval > MAX_INTERVAL) throw this.realm.error("Error", "Interval is too long (>100 years)");
    const last = this.list[this.list.length - 1];
    const id = last ? last.id + 1 : 1;
    this.list.push({
      id,
      due: performance.now() + interval,
      interval: isInterval ? interval : undefined,
      callback,
      args,
    });
    this.changed = true;
    this.reschedule();
    return id;
  }

  /** clearTimeout/clearInterval: no argument clears ALL timers; an explicit undefined throws. */
  clear(args: unknown[], isTimeout: boolean): void {
    if (args.length === 0) {
      this.list = [];
    } else if (args[0] === undefined) {
      const name = isTimeout ? "Timeout" : "Interval";
      throw this.realm.error("Error", `clear${name}(undefined) not allowed. Use clear${name}() instead`);
    } else {
      const i = this.indexOf(args[0]);
      if (i >= 0) this.list.splice(i, 1);
    }
    this.changed = true;
    this.reschedule();
  }

  /** changeInterval also turns a timeout into an interval, as on Espruino. */
  change(id: unknown, ms: unknown): void {
    const i = this.indexOf(id);
    if (i < 0) throw this.realm.error("Error", "Unknown Interval");
    const t = this.list[i]!;
    t.interval = Math.max(MIN_INTERVAL, Number(ms) || 0);
    t.due = performance.now() + t.interval;
    this.changed = true;
    this.reschedule();
  }

  dispose(): void {
    this.list = [];
    this.loop.cancel(this.wake);
    this.wake = undefined;
  }

  private indexOf(id: unknown): number {
    if (typeof id !== "number" && typeof id !== "string") return -1;
    const n = Number(id);
    return this.list.findIndex((t) => t.id === n);
  }

  private reschedule(): void {
    this.loop.cancel(this.wake);
    this.wake = undefined;
    if (this.list.length === 0) return;
    let next = Infinity;
    for (const t of this.list) next = Math.min(next, t.due);
    this.wake = this.loop.after(next - performance.now(), () => this.run());
  }

  /** One pass: due timers run in list order; restart when a callback changed the list. */
  private run(): void {
    this.wake = undefined;
    const now = performance.now();
    const ran = new Set<Timer>();
    let restarts = 0;
    let again: boolean;
    do {
      again = false;
      this.changed = false;
      for (const t of [...this.list]) {
        if (!this.list.includes(t) || ran.has(t) || t.due > now) continue;
        ran.add(t);
        const dueBefore = t.due;
        this.loop.guard(() => {
          if (typeof t.callback === "function") t.callback.apply(undefined, t.args);
          else this.realm.run(t.callback, "timer");
        });
        // The interval is read after the callback ran (it may have called changeInterval),
        // and added to the due time from before the callback, as jsinteractive.c does.
        const i = this.list.indexOf(t);
        if (i >= 0) {
          if (t.interval !== undefined) t.due = dueBefore + t.interval;
          else this.list.splice(i, 1);
        }
        if (this.changed) {
          again = ++restarts < MAX_RESTARTS;
          break;
        }
      }
    } while (again);
    this.reschedule();
  }
}

function clampInterval(ms: unknown): number {
  const n = Number(ms);
  return isNaN(n) || n < MIN_INTERVAL ? MIN_INTERVAL : n;
}
