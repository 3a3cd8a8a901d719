/**
 * Randomness for the reconnect backoff's jitter. Espruino 2v29 seeds Math.random the same way at
 * every boot on the Linux and ESP32 builds (and E.hwRand on the ESP32 uses that generator), so
 * devices that lose the broker together would retry in lockstep: measured, two devices waited the
 * very same delays. So the firmware seeds it at boot (E.srand) per device and per boot, and the
 * session uses Math.random itself: a generator of our own would be a closure held in RAM.
 */
export function seedRandom(seed: string): () => number {
  E.srand(E.CRC32(seed));
  return Math.random;
}
