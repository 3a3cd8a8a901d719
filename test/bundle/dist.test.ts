/**
 * The built bundles pass the bundle gate: nothing Espruino cannot run, within each board's budget.
 * `npm test` builds first; run `npm run build` before running this file on its own.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatFinding, gateFiles, listBundles } from "../../tools/bundle-gate";

const dist = fileURLToPath(new URL("../../dist", import.meta.url));
const bundles = listBundles(dist);

describe("dist/*.js pass the bundle gate", () => {
  if (bundles.length === 0) {
    it("has bundles to check", () => {
      expect.fail(`no bundles in ${dist}: run \`npm run build\` first (npm test does)`);
    });
    return;
  }

  it.each(bundles)("%s", (file) => {
    const [result] = gateFiles([file]).bundles;
    const errors = result.findings.filter((f) => f.severity === "error").map(formatFinding);
    expect(errors, `bundle gate findings for ${file}`).toEqual([]);
  });
});
