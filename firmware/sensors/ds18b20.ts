/** DS18B20 on Espruino's built-in OneWire: start a conversion, wait, read the scratchpad, check its CRC. */
import { decodeScratchpad } from "../../src/app/ds18b20";
import type { TemperatureSensor } from "../../src/app/sensor";

/** A 12-bit conversion takes up to 750 ms (datasheet). */
const CONVERSION_MS = 750;

export function createSensor(options: { pin: string }): TemperatureSensor {
  const bus = new OneWire(Pin(options.pin));
  return {
    name: "DS18B20 on " + options.pin,
    read(done) {
      if (!bus.reset()) return done(undefined, "no DS18B20 answers on " + options.pin);
      bus.skip();
      bus.write(0x44, true); // CONVERT T, with strong pull-up for parasite power
      setTimeout(() => {
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
