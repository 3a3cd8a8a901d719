/**
 * A real mosquitto broker for a test, on its own loopback port and directory: started by the test
 * itself, restartable with its persisted state, stopped (or killed) at the end.
 * mosquitto comes from Debian's package, installed by tools/setup-test-deps.sh (run by `npm test`).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForPort } from "./ports";

export interface MosquittoOptions {
  /** user -> password; when given, anonymous clients are refused. */
  users?: Record<string, string>;
  /** Extra lines for mosquitto.conf (TLS listeners, ...). */
  extraConfig?: string;
}

export interface Mosquitto {
  port: number;
  url: string;
  dir: string;
  /** Everything the broker logged. */
  log(): string;
  /** Stops (SIGTERM: the broker saves its state) and starts it again on the same port. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function mosquittoBinary(): string {
  const found = spawnSync("sh", ["-c", "command -v mosquitto || ls /usr/sbin/mosquitto"], { encoding: "utf8" })
    .stdout.trim()
    .split("\n")[0];
  if (!found) throw new Error("mosquitto is not installed: run `bash tools/setup-test-deps.sh` (npm test does)");
  return found;
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const binary = mosquittoBinary();
  const dir = mkdtempSync(join(tmpdir(), "mosquitto-"));
  const port = await freePort();
  const lines = [
    `listener ${port} 127.0.0.1`,
    "persistence true",
    `persistence_location ${dir}/`,
    "log_dest stderr",
    "log_type error",
    "log_type warning",
    "log_type notice",
    "log_type information",
    "connection_messages true",
    "max_queued_messages 10000",
  ];
  // As root, mosquitto would switch to its own user, who cannot read this private directory.
  if (process.getuid && process.getuid() === 0) lines.push("user root");
  if (options.users) {
    const passwords = join(dir, "passwords");
    writeFileSync(passwords, "");
    for (const [user, password] of Object.entries(options.users)) {
      const r = spawnSync("mosquitto_passwd", ["-b", passwords, user, password], { encoding: "utf8" });
      if (r.status !== 0) throw new Error("mosquitto_passwd failed: " + r.stderr);
    }
    lines.push("allow_anonymous false", `password_file ${passwords}`);
  } else lines.push("allow_anonymous true");
  if (options.extraConfig) lines.push(options.extraConfig);
  const config = join(dir, "mosquitto.conf");
  writeFileSync(config, lines.join("\n") + "\n");

  let output = "";
  let child: ChildProcess | undefined;
  const launch = async () => {
    const started = spawn(binary, ["-c", config], { stdio: ["ignore", "pipe", "pipe"] });
    started.stdout!.on("data", (d) => (output += d));
    started.stderr!.on("data", (d) => (output += d));
    child = started;
    await waitForPort(port);
  };
  const halt = () =>
    new Promise<void>((resolve) => {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return resolve();
      running.once("exit", () => resolve());
      running.kill("SIGTERM");
    });
  await launch();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dir,
    log: () => output,
    async restart(downMs = 0) {
      await halt();
      await new Promise((r) => setTimeout(r, downMs));
      await launch();
    },
    stop: halt,
  };
}
