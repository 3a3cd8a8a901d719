/**
 * The durable store (src/store/reading-store.ts, as the firmware bundles it) driven by a small
 * script, for flash-wear figures over tens of thousands of readings in minutes instead of days.
 * The script makes exactly the store calls the firmware makes per reading (src/app/delivery.ts):
 * `append` when a reading is taken, then `next` when it is handed to the session, `sent` when its
 * PUBLISH leaves and `delivered` at its PUBACK. The session, the sensor and the console are left
 * out: they do not touch flash. The same script runs on Espruino's Linux interpreter (wear from
 * strace, see flash-wear.ts) and in the host runtime (rt.flashStats()).
 *
 * Modes: "normal", each reading delivered before the next is taken; "outage", readings taken
 * `outage` at a time with nothing delivered, then all of them delivered (the backlog drained),
 * again and again. The files given are written first; then `<<wear 0>>`, and every `chunk`
 * readings the script prints `<<wear N>>` (N readings so far) and
 * yields to the event loop, so the host side can read the wear counters at each mark and the
 * strace log can be cut at the same points.
 */
import { rollup } from "rollup";
import typescript from "@rollup/plugin-typescript";
import { minify } from "terser";
import { REPO_ROOT } from "./shared";

export interface StoreWorkload {
  /** Segment files of the ring (the firmware's storeSegments: STORE_READINGS / 186 rounded up, + 1). */
  segments: number;
  readings: number;
  mode: "normal" | "outage";
  /** Readings per outage (mode "outage"). */
  outage?: number;
  /** Readings between two `<<wear N>>` marks. */
  chunk: number;
  /**
   * Files written first, before the `<<wear 0>>` mark (so not counted): what else the board's
   * Storage holds, e.g. `.bootcde` (the bundle) and `rb1` (the boot counter).
   */
  files?: Array<{ name: string; data: string; size?: number }>;
}

export const WEAR_MARK = "<<wear ";

const bundles = new Map<string, Promise<string>>();
/**
 * One renaming of private (`_`) properties for every module: a script may hand one module's
 * object to another's functions (the store's state to the delivery's copy of them).
 */
const nameCache: Record<string, unknown> = {};

/**
 * A module of src/ (path from the repository's root) as an ES5 script defining global `name`
 * with its exports, compiled and minified as the firmware build does at LOG_LEVEL=info.
 */
export function srcModule(path: string, name: string): Promise<string> {
  const key = `${path} ${name}`;
  if (!bundles.has(key)) bundles.set(key, bundleModule(path, name));
  return bundles.get(key)!;
}

async function bundleModule(path: string, name: string): Promise<string> {
  const bundle = await rollup({
    input: `${REPO_ROOT}${path}`,
    onwarn(warning) {
      throw new Error(`${path}: ${warning.message}`);
    },
    plugins: [
      typescript({ tsconfig: `${REPO_ROOT}firmware/tsconfig.json`, noEmitOnError: true, outputToFilesystem: false }),
    ],
  });
  try {
    const { output } = await bundle.generate({ format: "iife", name, strict: false });
    const min = await minify(output[0].code, {
      ecma: 5,
      compress: { passes: 2, hoist_vars: true, inline: 2, global_defs: { LOG_INFO: true, LOG_DEBUG: false } },
      mangle: { properties: { regex: /^_/ } },
      format: { ascii_only: true, comments: false },
      nameCache,
    });
    return min.code ?? "";
  } finally {
    await bundle.close();
  }
}

/** src/store/reading-store.ts as an ES5 script defining `STORE.openReadingStore`. */
export function storeBundle(): Promise<string> {
  return srcModule("src/store/reading-store.ts", "STORE");
}

/** The workload as one script for Espruino (or the host runtime); it prints `<<wear done>>` at the end. */
export async function storeWorkloadScript(w: StoreWorkload): Promise<string> {
  const files = (w.files ?? [])
    .map(
      (f) =>
        `require("Storage").write(${JSON.stringify(f.name)},${JSON.stringify(f.data)},0${f.size ? "," + f.size : ""});`,
    )
    .join("\n");
  const driver = `
${files}
var W=${JSON.stringify({ segments: w.segments, readings: w.readings, outage: w.mode === "outage" ? (w.outage ?? 1500) : 0, chunk: w.chunk })};
var store=STORE.openReadingStore(require("Storage"),E.CRC32,{segments:W.segments,log:function(l){print(l)}});
var taken=0;
function deliver(){var r;while((r=STORE.nextReading(store))){STORE.markSent(store,r.seq);if(!STORE.markDelivered(store,r.seq))throw new Error("not handed out: "+r.seq)}}
function step(){
  var end=Math.min(W.readings,taken+W.chunk);
  while(taken<end){
    STORE.appendReading(store,{boot:1,uptime:taken,time:1767225600+taken*10,centi:2150+(taken%50)});
    taken++;
    if(!W.outage||taken%W.outage===0)deliver();
  }
  print("${WEAR_MARK}"+taken+">>");
  if(taken<W.readings)setTimeout(step,0);
  else{deliver();var c=store.counts;print("${WEAR_MARK}done>> "+JSON.stringify({stored:c.stored,dropped:c.dropped,torn:c.torn,lastSeq:STORE.lastSeq(store)}))}
}
setTimeout(function(){print("${WEAR_MARK}0>>");step()},0);
`;
  return (await storeBundle()) + "\n" + driver;
}
