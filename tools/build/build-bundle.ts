/** Builds one board's bundle through rollup's API, with settings given in code (npm start, tests, bench). */
import { rollup } from "rollup";
import { buildTargets } from "./targets";

/**
 * Builds `board` with `settings` over the board's defaults (the environment and .env are not read,
 * so the result does not depend on the machine) into `outFile`. Returns the bundle's text.
 */
export async function buildBundle(board: string, settings: Record<string, string>, outFile: string): Promise<string> {
  const [options] = buildTargets({ ...settings, BOARD: board, ENV_FILE: "/dev/null" });
  const bundle = await rollup(options);
  try {
    const { output } = await bundle.write({ ...(options.output as object), file: outFile });
    return output[0].code;
  } finally {
    await bundle.close();
  }
}
