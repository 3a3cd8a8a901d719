// Espruino puts on/emit/removeListener on every object, and emit is ASYNCHRONOUS: it queues
// the listeners registered at that moment and the idle loop calls them later (unlike Node).
import type { Loop } from "./loop";
import type { Realm } from "./realm";

/** A listener is a function, or a string of code (Espruino accepts both). */
export type Listener = Function | string;

interface QueuedEvent {
  target: object;
  listeners: Listener[];
  args: unknown[];
}

const MAX_EMIT_ARGS = 4;

export class EventSystem {
  private readonly store = new WeakMap<object, Map<string, Listener[]>>();
  private readonly hooks = new WeakMap<object, (event: string) => void>();
  private queue: QueuedEvent[] = [];
  private flushScheduled = false;
  private stopped = false;

  constructor(
    private readonly loop: Loop,
    private readonly realm: Realm,
  ) {}

  /** Number of queued, not yet delivered events. */
  get pending(): number {
    return this.queue.length;
  }

  listeners(target: object, event: string): Listener[] {
    return [...(this.store.get(target)?.get(event) ?? [])];
  }

  has(target: object, event: string): boolean {
    return (this.store.get(target)?.get(event)?.length ?? 0) > 0;
  }

  /** Lets a host object react to a new listener (a socket's buffered 'data'). */
  onListen(target: object, hook: (event: string) => void): void {
    this.hooks.set(target, hook);
  }

  add(target: object, event: string, listener: Listener, first: boolean): void {
    let byEvent = this.store.get(target);
    if (!byEvent) this.store.set(target, (byEvent = new Map()));
    const old = byEvent.get(event) ?? [];
    // A new array each time, as Espruino does: an emit already queued keeps its own list.
    byEvent.set(event, first ? [listener, ...old] : [...old, listener]);
    this.hooks.get(target)?.(event);
  }

  remove(target: object, event: string, listener: unknown): void {
    const list = this.store.get(target)?.get(event);
    if (!list) return;
    const i = list.indexOf(listener as Listener);
    if (i >= 0) list.splice(i, 1);
  }

  removeAll(target: object, event?: string): void {
    if (event === undefined) this.store.delete(target);
    else this.store.get(target)?.delete(event);
  }

  /** Queues the current listeners of `event` for a later macrotask (jsiQueueObjectCallbacks). */
  queueEvent(target: object, event: string, args: readonly unknown[]): void {
    const listeners = this.listeners(target, event);
    if (listeners.length === 0) return;
    this.queue.push({ target, listeners, args: [...args] });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.loop.soon(() => this.flush());
    }
  }

  /** Calls the listeners now (jsiExecuteEventCallback); false when there were none. */
  callNow(target: object, event: string, args: readonly unknown[]): boolean {
    const listeners = this.listeners(target, event);
    if (listeners.length === 0) return false;
    this.invoke(target, listeners, args);
    return true;
  }

  /** E.stopEventPropagation(): the remaining listeners of the current event are skipped. */
  stopPropagation(): void {
    this.stopped = true;
  }

  clear(): void {
    this.queue = [];
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    for (const ev of batch) this.invoke(ev.target, ev.listeners, ev.args);
  }

  private invoke(target: object, listeners: readonly Listener[], args: readonly unknown[]): void {
    this.stopped = false;
    for (const listener of listeners) {
      const ok = this.loop.guard(() => {
        if (typeof listener === "function") listener.apply(target, args);
        else this.realm.run(listener, "event");
      });
      // After an exception Espruino runs no more JS until the error is reported.
      if (!ok || this.stopped) break;
    }
    this.stopped = false;
  }

  /** Installs on/addListener/prependListener/emit/removeListener/removeAllListeners. */
  install(proto: object): void {
    const events = this;
    const realm = this.realm;
    const checkTarget = (self: unknown): object => {
      if ((typeof self !== "object" && typeof self !== "function") || self === null) {
        throw realm.error("TypeError", "Parent must be an object - not a String, Integer, etc");
      }
      return self;
    };
    const checkEvent = (event: unknown): string => {
      if (typeof event !== "string") throw realm.error("TypeError", "First argument must be String");
      return event;
    };
    const on = (first: boolean) =>
      function (this: unknown, event: unknown, listener: unknown): void {
        const target = checkTarget(this);
        const name = checkEvent(event);
        if (typeof listener !== "function" && typeof listener !== "string") {
          throw realm.error("TypeError", "Second argument must be a function or a String");
        }
        events.add(target, name, listener, first);
      };
    const methods: Record<string, Function> = {
      on: on(false),
      addListener: on(false),
      prependListener: on(true),
      emit(this: unknown, event: unknown, ...args: unknown[]): void {
        const target = checkTarget(this);
        const name = checkEvent(event);
        events.queueEvent(target, name, args.slice(0, MAX_EMIT_ARGS));
        if (args.length > MAX_EMIT_ARGS) throw realm.error("TypeError", `Too many arguments (>${MAX_EMIT_ARGS})`);
      },
      removeListener(this: unknown, event: unknown, listener: unknown): void {
        events.remove(checkTarget(this), checkEvent(event), listener);
      },
      removeAllListeners(this: unknown, event?: unknown): void {
        const target = checkTarget(this);
        events.removeAll(target, event === undefined ? undefined : checkEvent(event));
      },
    };
    for (const [name, fn] of Object.entries(methods)) {
      Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true, enumerable: false });
    }
  }
}
