/**
 * Randomness for the reconnect backoff's jitter. Espruino 2v29 seeds Math.random the same way at
 * every boot on the Linux and ESP32 builds (and E.hwRand on the ESP32 uses that generator), so
 * devices that lose the broker together would retry in lockstep: measured, two devices waited the
 * very same delays. So it is an xorshift32 seeded per device and per boot.
 */
export function seededRandom(seed: string): () => number {
  let x = E.CRC32(seed) | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}
