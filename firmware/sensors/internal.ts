/** The ESP32's internal sensor via E.getTemperature(): the die temperature, rough (several degrees off ambient). */
import type { TemperatureSensor } from "../../src/app/sensor";

export function createSensor(): TemperatureSensor {
  return {
    name: "internal sensor (rough)",
    read: (done) => done(E.getTemperature()),
  };
}
