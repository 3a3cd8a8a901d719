// Usage: tsx tools/host-runtime/main.ts <bundle.js> [--cwd <dir>] [--connect-failure throw|event]
// Runs the bundle like a device: console on stdout; SIGINT/SIGTERM -> stop() (E 'kill', then the
// sockets close, as Espruino's exit does); a second signal -> kill(). Like Espruino it keeps running when idle.
import { mkdirSync } from "node:fs";
import { startBundle, type HostRuntime, type HostRuntimeOptions } from "./index";

function parseArgs(argv: string[]): HostRuntimeOptions {
  const opts: HostRuntimeOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--cwd") opts.cwd = argv[++i];
    else if (arg === "--connect-failure") opts.connectFailure = argv[++i] === "event" ? "event" : "throw";
    else if (arg.startsWith("--")) throw new Error(`unknown option ${arg}`);
    else opts.file = arg;
  }
  if (opts.file === undefined)
    throw new Error("usage: tools/host-runtime/main.ts <bundle.js> [--cwd <dir>] [--connect-failure throw|event]");
  if (opts.cwd !== undefined) mkdirSync(opts.cwd, { recursive: true });
  return opts;
}

function main(): void {
  let opts: HostRuntimeOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write((e as Error).message + "\n");
    process.exit(2);
  }
  // Signal handlers first: the bundle starts printing (and may be signalled) at once.
  let runtime: HostRuntime | undefined;
  let signals = 0;
  const onSignal = (): void => {
    signals++;
    if (!runtime) process.exit(1);
    else if (signals === 1) void runtime.stop();
    else runtime.kill();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  runtime = startBundle(opts);
  // The runtime may hold no handle while idle; a device never exits on its own.
  const keepAlive = setInterval(() => {}, 1 << 30);
  void runtime.exited.then((info) => {
    clearInterval(keepAlive);
    // Exit once stdout has taken the last console lines (it may be a pipe).
    process.stdout.write("", () => process.exit(info.reason === "stop" ? 0 : 1));
  });
}

main();
