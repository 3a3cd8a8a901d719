/** The simulated sensor, for boards without one. */
import { SimulatedSensor, type SimulatedSensorOptions } from "../../src/app/simulated-sensor";
import type { TemperatureSensor } from "../../src/app/sensor";

export function createSensor(options: SimulatedSensorOptions): TemperatureSensor {
  return new SimulatedSensor(options);
}
