/** DS18B20 on Espruino's built-in OneWire: start a conversion, wait, read the scratchpad, check its CRC. */
import { decodeScratchpad, type Ds18b20Options } from "../../src/app/ds18b20";
import type { TemperatureSensor } from "../../src/app/sensor";

/** A 12-bit conversion takes up to 750 ms (datasheet). tools/build/boards.ts refuses intervals under it. */
const CONVERSION_MS = 750;
/** A conversion pending longer than this lost its timer (nothing else clears it): start anew. */
const LOST_MS = 4 * CONVERSION_MS;

export function createSensor(options: Ds18b20Options): TemperatureSensor {
  const bus = new OneWire(Pin(options.pin));
  /** Date.now() when the pending conversion started; 0 when none is. */
  let convertingSince = 0;
  return {
    name: "DS18B20 on " + options.pin,
    read(done) {
      // A reset now would abort the conversion under way (and the next read would get the
      // power-on scratchpad): answer this read with an error instead. A clock set backwards
      // (SNTP) or a conversion older than LOST_MS is not waited for.
      const age = Date.now() - convertingSince;
      if (convertingSince && age >= 0 && age < LOST_MS) return done(undefined, "busy: conversion in progress");
      convertingSince = 0;
      if (!bus.reset()) return done(undefined, "no DS18B20 answers on " + options.pin);
      bus.skip();
      bus.write(0x44, true); // CONVERT T, with strong pull-up for parasite power
      convertingSince = Date.now() || 1;
      setTimeout(() => {
        convertingSince = 0; // first: whatever fails below, the next read may start
        if (!bus.reset()) return done(undefined, "DS18B20 gone from " + options.pin);
        bus.skip();
        bus.write(0xbe); // READ SCRATCHPAD
        const result = decodeScratchpad(bus.read(9));
        if (typeof result === "string") done(undefined, result);
        else done(result);
      }, CONVERSION_MS);
    },
  };
}
