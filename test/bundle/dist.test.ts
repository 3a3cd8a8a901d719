/**
 * The built bundles pass the bundle gate: nothing Espruino cannot run, within each board's budget.
 * Every board in boards/ must have its bundle in dist/: a board whose build was skipped or failed
 * fails here, rather than the gate checking only whatever dist/ happens to hold.
 * `npm test` builds first; run `npm run build` before running this file on its own.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatFinding, gateFiles } from "../../tools/bundle-gate";
import { boardNames } from "../../tools/build/boards";

const dist = fileURLToPath(new URL("../../dist", import.meta.url));
const boards = boardNames();

describe("dist/<board>.js for every board in boards/ passes the bundle gate", () => {
  it("boards/ has boards", () => {
    expect(boards.length).toBeGreaterThan(0);
  });

  it.each(boards)("%s", (board) => {
    const file = join(dist, board + ".js");
    if (!existsSync(file))
      expect.fail(`no bundle for board "${board}": ${file} is missing (run \`npm run build\`; npm test does)`);
    const [result] = gateFiles([file]).bundles;
    const errors = result.findings.filter((f) => f.severity === "error").map(formatFinding);
    expect(errors, `bundle gate findings for ${file}`).toEqual([]);
  });
});
