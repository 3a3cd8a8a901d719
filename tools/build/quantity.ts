/**
 * What the sensors measure, named once: the reading topic's last level, the payload's value key,
 * and how Home Assistant shows it. Another quantity (humidity, pressure) is another value here.
 */
export interface Quantity {
  /** Topic level and JSON key: `<prefix>/<id>/<key>`, `"<key>":T`. */
  key: string;
  /** Home Assistant's entity name, device class and unit (UTF-8 on the wire). */
  name: string;
  deviceClass: string;
  unit: string;
}

export const QUANTITY: Quantity = { key: "temperature", name: "Temperature", deviceClass: "temperature", unit: "°C" };
