/**
 * `npm start` and `npm run monitor` stop cleanly on SIGINT and SIGTERM sent to the process npm
 * started (`kill -INT <pid>`, a CI runner's TERM), leaving no child behind: each run is started in a
 * process group of its own, and after the signal no process of that group may remain. And a wrong
 * ESPRUINO= is said plainly, not an unhandled `spawn ENOENT`.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:net";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../..");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `npm <args>` in a process group of its own (so what it leaves can be found), stdin a pipe. */
function npm(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn("npm", args, {
    cwd: ROOT,
    detached: true,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      ESPRUINO: process.env.ESPRUINO ?? "",
      WATCH_PORT: "0",
      ...env,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on("exit", (code, signal) => r({ code, signal })),
  );
  return { child, output: () => output, exited };
}

/**
 * The processes still running in `pgid`'s group (the interpreter runs in a group of its own: found
 * by its parent chain below). A zombie is not running: it only waits for a PID 1 that reaps
 * (in a container, often none), so those are left out.
 */
function remaining(pgid: number): string[] {
  try {
    return execFileSync("ps", ["-o", "pid=,stat=,args=", "-g", String(pgid)])
      .toString()
      .trim()
      .split("\n")
      .filter((l) => l && !/^\s*\d+\s+Z/.test(l));
  } catch {
    return []; // ps exits 1 when it lists nothing
  }
}

function zombie(pid: number): boolean {
  try {
    return /^Z/.test(
      execFileSync("ps", ["-o", "stat=", "-p", String(pid)])
        .toString()
        .trim(),
    );
  } catch {
    return false;
  }
}

/** Every descendant of `pid` (ps's whole table, walked by parent). */
function descendants(pid: number): string[] {
  const table = execFileSync("ps", ["-e", "-o", "pid=,ppid=,args="])
    .toString()
    .trim()
    .split("\n")
    .map((l) => {
      const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l)!;
      return { pid: Number(m[1]), ppid: Number(m[2]), args: m[3] };
    });
  const found: string[] = [];
  const walk = (p: number) => {
    for (const row of table.filter((r) => r.ppid === p)) {
      found.push(`${row.pid} ${row.args}`);
      walk(row.pid);
    }
  };
  walk(pid);
  return found;
}

async function waitFor(what: string, check: () => boolean, ms: number, run: Run): Promise<void> {
  for (const end = Date.now() + ms; !check(); await sleep(100)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; output:\n${run.output().slice(-2000)}`);
  }
}

/**
 * Sends `signal` to npm's own pid, as `kill -INT <pid>` does (or, `toGroup`, to its whole process
 * group, as a terminal's Ctrl-C does: npm then forwards a second one), and checks the whole tree ends.
 */
async function stopWith(
  run: Run,
  signal: NodeJS.Signals,
  toGroup = false,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const pid = run.child.pid!;
  const tree = descendants(pid);
  expect(tree.length).toBeGreaterThan(0);
  process.kill(toGroup ? -pid : pid, signal);
  const result = await Promise.race([run.exited, sleep(15000).then(() => undefined)]);
  try {
    expect(result, `npm did not exit within 15 s of ${signal}; output:\n${run.output().slice(-1500)}`).toBeDefined();
    await sleep(500);
    expect(remaining(pid), `left running after ${signal}`).toEqual([]);
    const alive = tree.filter((line) => {
      const pid = Number(line.split(" ")[0]);
      try {
        process.kill(pid, 0);
        return !zombie(pid);
      } catch {
        return false;
      }
    });
    expect(alive, `left running after ${signal}`).toEqual([]);
  } finally {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // the group is gone, as it should be
    }
  }
  return result!;
}

describe.concurrent("npm start", () => {
  // To npm's process (`kill -INT <pid>`, a CI runner's TERM), or, as a terminal's Ctrl-C does, to
  // the whole process group, which npm then forwards once more.
  it.each([
    ["SIGINT", "npm's process"],
    ["SIGTERM", "npm's process"],
    ["SIGINT", "the whole process group (Ctrl-C at a terminal)"],
  ] as const)(
    "%s to %s: offline published, everything ends",
    async (signal, to) => {
      const run = npm(["start"], { BROKER_PORT: "0" });
      await waitFor(
        "the first reading at the subscriber",
        () => /\[subscriber\] \S+\/temperature /.test(run.output()),
        60000,
        run,
      );
      const result = await stopWith(run, signal, to !== "npm's process");
      expect(run.output()).toContain("[start] stopping");
      expect(run.output()).toMatch(/\[subscriber\] sensors\/linux-sim\/status offline/);
      expect(run.output()).not.toContain("stopping at once");
      expect(result.code === 0 || result.signal === signal, JSON.stringify(result)).toBe(true);
    },
    90000,
  );

  it("a wrong ESPRUINO= is said plainly: no spawn ENOENT, no stack trace, exit 2", async () => {
    const run = npm(["start"], { ESPRUINO: "/nonexistent/espruino" });
    const { code } = await run.exited;
    expect(code).toBe(2);
    expect(run.output()).toMatch(/ESPRUINO=\/nonexistent\/espruino: no such file/);
    expect(run.output()).not.toMatch(/ENOENT|^\s+at /m);
  }, 60000);

  it("an ESPRUINO= that is not executable is said plainly", async () => {
    const run = npm(["start"], { ESPRUINO: resolve(ROOT, "README.md") });
    const { code } = await run.exited;
    expect(code).toBe(2);
    expect(run.output()).toMatch(/ESPRUINO=.*README\.md: not executable/);
  }, 60000);
});

describe.concurrent("npm run monitor", () => {
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    // A board's console stand-in: Espruino's Linux build with --telnet speaks this way (plain bytes).
    server = createServer((socket) => {
      socket.on("error", () => {});
      const timer = setInterval(() => socket.write("1.0 [app] reading #1 21.5 C stored (1 waiting)\r\n"), 200);
      socket.on("close", () => clearInterval(timer));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it.each(["SIGINT", "SIGTERM"] as const)(
    "%s to npm's process ends the monitor and the espruino CLI",
    async (signal) => {
      const run = npm(["run", "monitor", "--", "-p", `tcp://127.0.0.1:${port}`]);
      await waitFor("the console's lines", () => run.output().includes("[app] reading #1"), 30000, run);
      expect(run.output()).toContain("stdin is not a terminal");
      await stopWith(run, signal);
    },
    60000,
  );
});
