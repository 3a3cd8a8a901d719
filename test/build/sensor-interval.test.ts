/** A PUBLISH_INTERVAL_MS the board's sensor cannot honour is refused at build time, with the reason. */
import { describe, expect, it } from "vitest";
import { boardNames, loadBoard, sensorIntervalError, type Board } from "../../tools/build/boards";

const withSensor = (sensor: Board["sensor"]): Board => ({ ...loadBoard("esp32"), sensor });

describe("sensorIntervalError", () => {
  it("refuses a DS18B20 interval under 1,000 ms, saying why", () => {
    const board = withSensor({ type: "ds18b20", pin: "D4" });
    const why = sensorIntervalError(board, 999);
    expect(why).toMatch(/^999 ms is under 1000 ms, the shortest the ds18b20 sensor allows: /);
    expect(why).toMatch(/conversion takes up to 750 ms/);
    expect(sensorIntervalError(board, 100)).not.toBe("");
    expect(sensorIntervalError(board, 1000)).toBe("");
    expect(sensorIntervalError(board, 86400000)).toBe("");
  });

  it("leaves sensors without a minimum alone", () => {
    expect(sensorIntervalError(withSensor({ type: "internal" }), 100)).toBe("");
    expect(sensorIntervalError(withSensor({ type: "simulated", failureRate: 0.1, seed: 1 }), 100)).toBe("");
  });

  it("says nothing of an interval that is not a number (the setting's own check reports it)", () => {
    expect(sensorIntervalError(withSensor({ type: "ds18b20", pin: "D4" }), NaN)).toBe("");
  });

  it.each(boardNames())("board %s: its default interval is one its sensor honours", (name) => {
    const board = loadBoard(name);
    expect(sensorIntervalError(board, Number(board.defaults.PUBLISH_INTERVAL_MS))).toBe("");
  });
});
