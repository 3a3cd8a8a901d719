// The flash image on disk, in the Linux build's format (./espruino.flash: the raw bytes, 0xFF
// where erased), so a file written by the interpreter loads here and the other way round.
// Saved whole to a temporary file then renamed over the old one: a host process killed at any
// moment leaves either the previous image or the new one, never a mix.
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";

/** The image's bytes, or undefined when there is no file yet (all erased). */
export function loadFlashFile(file: string): Uint8Array | undefined {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

export function saveFlashFile(file: string, bytes: Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
