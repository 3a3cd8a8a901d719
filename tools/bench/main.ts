/**
 * `npm run bench`: every benchmark (figures 1-9) in one table,
 * each figure beside its target and the runtime it came from. Figures, not pass/fail tests: peers are measured in the same run
 * and compared as ratios. Each benchmark lives in its own file here and runs alone too.
 *
 *   npm run bench                                   # everything this machine can measure
 *   ESPRUINO=/path/to/espruino npm run bench        # + figures on Espruino's Linux interpreter
 *   ESPRUINO_SMALL=/path/to/espruino_small ...      # + the fixed 2,500-JsVar build (figure 6)
 *   ESPRUINO_MQTT_MODULE=/path/to/MQTT.js ...       # + Espruino's MQTT module measured, not the reference
 *   npm run bench -- --quick                        # fewer runs; no drain, no backlog, no strace (about 10 min)
 *   npm run bench -- --only=5,7                     # some figures
 *   npm run bench -- --markdown                     # the table as Markdown (docs/benchmarks.md)
 *
 * Without ESPRUINO (or ESPRUINO_SMALL), figures that need the real interpreter print
 * "needs ESPRUINO", never a number.
 */
import { benchBundleSize } from "./bundle-size";
import { startBroker } from "./broker";
import { benchCodec } from "./codec";
import { benchBacklogMemory } from "./backlog-memory";
import { benchDrain } from "./drain";
import { benchFlashWear } from "./flash-wear";
import { benchMemory } from "./memory";
import { benchStartup } from "./startup";
import { benchWake } from "./wake";
import { benchFeaturesMemory } from "./features-memory";
import { formatMarkdown, formatRows, missingRow, type BenchRow } from "./table";

const args = process.argv.slice(2);
const quick = args.includes("--quick") || process.env.BENCH_QUICK === "1";
const markdown = args.includes("--markdown");
// Progress on stderr when stdout is the Markdown table.
const progress = (text: string) => (markdown ? process.stderr : process.stdout).write(text);
const onlyArg = args.find((a) => a.startsWith("--only="));
const only = onlyArg ? new Set(onlyArg.slice("--only=".length).split(",").map(Number)) : undefined;
const wanted = (n: number) => !only || only.has(n);
const espruino = process.env.ESPRUINO || undefined;
const small = process.env.ESPRUINO_SMALL || undefined;
const mqttModule = process.env.ESPRUINO_MQTT_MODULE || undefined;

const GROUPS = {
  1: "1. Bundle bytes per board (minified; test/build.env placeholder settings)",
  2: "2. JsVars of the linux firmware on the real interpreter (usage - history, read from a timer)",
  3: "3. Codec ops/s against mqtt-packet (Node)",
  4: "4. Start to first PUBACK on loopback",
  5: "5. Drain of the stored backlog after reconnect (QoS 1, in-flight window 1), against Espruino's MQTT module",
  6: "6. JsVars from flash with a backlog of readings in Storage (usage - history, read from a timer)",
  7: "7. Flash wear of the durable store, and the esp32 board's Storage lifetime",
  8: "8. Battery mode: awake time per wake (SLEEP_MS)",
  9: "9. JsVars connected with Home Assistant discovery, diagnostics and the set topic (2,500-JsVar build, from flash)",
};

progress(`[bench] ESPRUINO=${espruino ?? "(unset: real-interpreter figures are not measured)"}\n`);
progress(`[bench] ESPRUINO_SMALL=${small ?? "(unset: the 2,500-JsVar figures are not measured)"}\n`);
progress(
  `[bench] ESPRUINO_MQTT_MODULE=${mqttModule ?? "(unset: the MQTT module's figure is the issue's reference)"}\n`,
);
const needsBroker = wanted(2) || wanted(4) || wanted(5) || wanted(6) || wanted(8) || wanted(9);
const broker = needsBroker ? await startBroker() : undefined;
if (broker) progress(`[bench] broker: ${broker.name} on 127.0.0.1:${broker.port}\n`);
// Interrupted, or the reader of our output went away (`| head`): stop the broker we started (the
// interpreters we spawned are killed on exit), then leave.
const bail = () => void (broker ? broker.stop() : Promise.resolve()).finally(() => process.exit(1));
process.once("SIGINT", bail);
process.once("SIGTERM", bail);
process.stdout.on("error", bail);
process.stderr.on("error", bail);

const rows: BenchRow[] = [];
const step = async (n: keyof typeof GROUPS, run: () => Promise<BenchRow[]>) => {
  if (!wanted(n)) return;
  const t0 = Date.now();
  progress(`[bench] ${GROUPS[n]} ...`);
  try {
    const got = await run();
    rows.push(...got.map((r) => ({ ...r, group: GROUPS[n] })));
    progress(` ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  } catch (e) {
    // One benchmark failing (a build error, a broker that does not answer) leaves the others' figures.
    const message = String((e as Error).message ?? e).split("\n")[0];
    progress(" FAILED\n");
    console.error(e);
    rows.push({ ...missingRow(`figure ${n}`, "", "", `FAILED: ${message}`), group: GROUPS[n] });
    process.exitCode = 1;
  }
};

try {
  await step(1, () => benchBundleSize());
  await step(2, () => benchMemory({ espruino, mqttModule, broker: broker! }));
  await step(3, async () => (await benchCodec(quick ? 300 : 1000)).rows);
  await step(4, () => benchStartup({ espruino, broker: broker!, runs: quick ? 3 : 5 }));
  await step(5, async () =>
    quick
      ? [missingRow("drain of the stored backlog", "msg/s", "", "skipped (--quick)")]
      : benchDrain({ espruino, mqttModule, broker: broker! }),
  );
  await step(6, async () =>
    quick
      ? [missingRow("JsVars with a backlog in flash", "JsVars", "", "skipped (--quick)")]
      : benchBacklogMemory({ espruino, small, broker: broker! }),
  );
  await step(7, () => benchFlashWear({ espruino, quick }));
  await step(8, () => benchWake({ espruino, broker: broker!, wakes: quick ? 4 : 8 }));
  await step(9, () => benchFeaturesMemory({ small, broker: broker! }));
} finally {
  await broker?.stop();
}
console.log(markdown ? formatMarkdown(rows) : "\n" + formatRows(rows));
process.exit(process.exitCode ?? 0);
