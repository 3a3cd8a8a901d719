/**
 * What the durable store needs from the device: Espruino's `require("Storage")` (flash files) and
 * a checksum. Passed in, so Node tests drive the store on a fake flash with the same rules.
 * docs/espruino-runtime.md ("Storage") says what the real one does.
 */

/** The part of Espruino's Storage module the store uses; the firmware passes the module itself. */
export interface FlashStorage {
  /**
   * `length` bytes from `offset` as a binary string; undefined when there is no such file.
   * On Espruino the result may point into flash rather than RAM.
   */
  read(name: string, offset?: number, length?: number): string | undefined;
  /**
   * With `size`: creates the file (`size` bytes, erased to 0xFF), replacing one of that name, and
   * writes `data` at `offset`. Without it: writes `data` at `offset` of an existing file, and
   * throws unless every byte written to is still erased (flash bits are only cleared by an erase).
   * Throws when flash is full.
   */
  write(name: string, data: string, offset?: number, size?: number): boolean;
  erase(name: string): void;
  /** Names of the files: all of them, or those matching `pattern`. */
  list(pattern?: RegExp): string[];
}

/** CRC-32 of a binary string (Espruino's native `E.CRC32`; zlib's crc32 on Node). */
export type Checksum = (data: string) => number;
