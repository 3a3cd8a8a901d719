/**
 * The project's layering, checked on the sources: src/ imports nothing outside src/ (it is the
 * portable part the device and the host share), firmware/ nothing from tools/ or test/, and tools/
 * nothing from test/ (the tests use the tools, not the other way round).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "node_modules") return [];
    return statSync(path).isDirectory() ? sources(path) : /\.(ts|js)$/.test(name) ? [path] : [];
  });
}

/** Every relative import of `file`, as a path from the repository's root. */
function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/\bfrom\s+"(\.{1,2}\/[^"]+)"|\bimport\s*\(\s*"(\.{1,2}\/[^"]+)"\s*\)/g)].map((m) => relative(ROOT, resolve(file, "..", m[1] ?? m[2])));
}

const crossings = (dir: string, forbidden: (target: string) => boolean) =>
  sources(join(ROOT, dir)).flatMap((file) => imports(file).filter(forbidden).map((target) => `${relative(ROOT, file)} -> ${target}`));

describe("layering", () => {
  it("src/ imports only from src/", () => {
    expect(crossings("src", (t) => !t.startsWith("src/"))).toEqual([]);
  });
  it("firmware/ imports from src/ and firmware/ only", () => {
    expect(crossings("firmware", (t) => !t.startsWith("src/") && !t.startsWith("firmware/"))).toEqual([]);
  });
  it("tools/ never imports from test/", () => {
    expect(crossings("tools", (t) => t.startsWith("test/"))).toEqual([]);
  });
});
