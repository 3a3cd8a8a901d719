/** What every temperature sensor driver offers: one asynchronous read. */

/** `celsius` on success; otherwise `error` says why (CRC mismatch, no device, ...). */
export type ReadCallback = (celsius: number | undefined, error?: string) => void;

export interface TemperatureSensor {
  /** A short name for the log, e.g. "DS18B20 on D4". */
  readonly name: string;
  read(done: ReadCallback): void;
}
