// Values handed to the script must belong to the sandbox's realm (its own Object, Array,
// Error...), or `x instanceof Error` and friends would be false inside the bundle.
import vm from "node:vm";

/** Error classes Espruino throws (InternalError is Espruino's own). */
export type ErrorKind = "Error" | "TypeError" | "ReferenceError" | "SyntaxError" | "InternalError";

type Ctor = new (...args: unknown[]) => object;

/** Constructors captured before the built-ins are stripped. */
interface Ctors {
  Object: ObjectConstructor;
  Array: ArrayConstructor;
  Uint8Array: Uint8ArrayConstructor;
  ArrayBuffer: ArrayBufferConstructor;
  errors: Record<ErrorKind, Ctor>;
}

// Espruino's InternalError does not exist in V8: define it inside the sandbox.
const INTERNAL_ERROR = `(function () {
  class InternalError extends Error {}
  Object.defineProperty(InternalError.prototype, "name", { value: "InternalError", writable: true, configurable: true });
  return InternalError;
})()`;

export class Realm {
  readonly context: vm.Context;
  /** The sandbox's global object (globalThis inside the script). */
  readonly global: Record<string, unknown>;
  private readonly ctors: Ctors;

  constructor() {
    this.context = vm.createContext({}, { name: "espruino", codeGeneration: { strings: true, wasm: false } });
    this.global = vm.runInContext("globalThis", this.context) as Record<string, unknown>;
    const g = this.global as unknown as Record<string, Ctor>;
    const internalError = vm.runInContext(INTERNAL_ERROR, this.context) as Ctor;
    this.global.InternalError = internalError;
    this.ctors = {
      Object: g.Object as unknown as ObjectConstructor,
      Array: g.Array as unknown as ArrayConstructor,
      Uint8Array: g.Uint8Array as unknown as Uint8ArrayConstructor,
      ArrayBuffer: g.ArrayBuffer as unknown as ArrayBufferConstructor,
      errors: {
        Error: g.Error,
        TypeError: g.TypeError,
        ReferenceError: g.ReferenceError,
        SyntaxError: g.SyntaxError,
        InternalError: internalError,
      },
    };
  }

  /** Runs script text in the sandbox (the bundle, or a string callback). */
  run(code: string, filename = "espruino"): unknown {
    return vm.runInContext(code, this.context, { filename });
  }

  object(props: Record<string, unknown> = {}): Record<string, unknown> {
    return this.ctors.Object.assign(new this.ctors.Object() as Record<string, unknown>, props);
  }

  /** A plain object whose prototype is `proto` (sandbox realm). */
  objectWithProto(proto: object | null): Record<string, unknown> {
    return this.ctors.Object.create(proto) as Record<string, unknown>;
  }

  array<T>(items: readonly T[]): T[] {
    const out = new this.ctors.Array() as T[];
    for (const item of items) out.push(item);
    return out;
  }

  error(kind: ErrorKind, message: string): Error {
    return new this.ctors.errors[kind](message) as Error;
  }

  uint8Array(bytes: ArrayLike<number>): Uint8Array {
    const out = new this.ctors.Uint8Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]!;
    return out;
  }

  arrayBuffer(bytes: ArrayLike<number>): ArrayBuffer {
    return this.uint8Array(bytes).buffer as ArrayBuffer;
  }

  /** The sandbox's Object.prototype, where Espruino puts on/emit for every object. */
  get objectPrototype(): object {
    return this.ctors.Object.prototype;
  }
}
