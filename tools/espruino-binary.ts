/**
 * Whether ESPRUINO names an interpreter that can be run, said plainly (instead of an unhandled
 * spawn ENOENT), and which version it is.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";

const WHAT =
  "ESPRUINO names a Linux build of Espruino (built from Espruino's repository, outside this one); unset it to use the host runtime";

/** Why `espruino` cannot be run, or "" when it can. A bare name is looked up on PATH. */
export function espruinoProblem(espruino: string, env: Record<string, string | undefined> = process.env): string {
  const candidates = espruino.includes("/")
    ? [espruino]
    : (env.PATH ?? "")
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, espruino));
  let found = "";
  for (const c of candidates) {
    try {
      if (statSync(c).isFile()) {
        found = c;
        break;
      }
      if (espruino.includes("/")) return `ESPRUINO=${espruino}: is a directory, not the interpreter (${WHAT})`;
    } catch {
      // not here
    }
  }
  if (!found) return `ESPRUINO=${espruino}: no such file${espruino.includes("/") ? "" : " on PATH"} (${WHAT})`;
  try {
    accessSync(found, constants.X_OK);
  } catch {
    return `ESPRUINO=${espruino}: not executable (chmod +x ${found}, or ${WHAT})`;
  }
  return "";
}

/** "Espruino 2v29.277 (Linux)", from the interpreter itself. */
export function espruinoVersion(espruino: string): string {
  const r = spawnSync(espruino, ["-e", 'print("<<v>>"+process.version)'], {
    input: "",
    timeout: 5000,
    killSignal: "SIGKILL",
    encoding: "latin1",
  });
  const m = /<<v>>(\S+)/.exec(r.stdout ?? "");
  return `Espruino ${m ? m[1] : "?"} (Linux)`;
}
