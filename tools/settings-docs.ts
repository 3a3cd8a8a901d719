/**
 * `npm run docs:settings [-- --check]`: writes the README's settings table and .env.example from
 * the settings schema (tools/build/settings-schema.ts) and boards/. --check only says whether they
 * are up to date (exit 1 if not); test/build/settings-schema.test.ts checks the same.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { boardNames, loadBoard } from "./build/boards";
import { envExample, readmeWithSettingsTable } from "./build/settings-schema";

const ROOT = new URL("../", import.meta.url).pathname;
const check = process.argv.includes("--check");
const boards = boardNames().map(loadBoard);
const files: [string, (old: string) => string][] = [
  ["README.md", (old) => readmeWithSettingsTable(old, boards)],
  [".env.example", () => envExample()],
];
let stale = 0;
for (const [name, generate] of files) {
  const path = resolve(ROOT, name);
  const old = readFileSync(path, "utf8");
  const text = generate(old);
  if (text === old) continue;
  stale++;
  if (check) console.error(`[docs:settings] ${name} differs from the settings schema: run npm run docs:settings`);
  else {
    writeFileSync(path, text);
    console.log(`[docs:settings] wrote ${name}`);
  }
}
process.exit(check && stale ? 1 : 0);
