import { describe, expect, it } from "vitest";
import { DeviceStore } from "../../tools/watch/devices";

const T = 1_760_000_000_000;
const store = () => new DeviceStore({ prefix: "home/sensors", history: 100, lateAfterS: 30 });
const reading = (seq: number, extra = "") =>
  `{"device":"d","seq":${seq},"temperature":20.5,"uptime":${seq * 10}${extra}}`;

describe("device store", () => {
  it("files messages by device under a multi-level prefix", () => {
    const s = store();
    s.message("home/sensors/d/temperature", reading(1), false, T);
    s.message("home/sensors/e/status", "online", true, T);
    expect(s.ids()).toEqual(["d", "e"]);
    expect(s.view("d")!.last).toMatchObject({ seq: 1, temperature: 20.5, boot: 0, arrival: T, verdict: "new" });
    expect(s.message("home/other/x/temperature", reading(1), false, T).problem?.text).toMatch(/not <prefix>/);
  });

  it("plots a reading at its own time, else at arrival", () => {
    const s = store();
    s.message("home/sensors/d/temperature", reading(1, ',"boot":1,"time":1759999990'), false, T);
    s.message("home/sensors/d/temperature", reading(2, ',"boot":1'), false, T + 5000);
    expect(s.points("d", 100)).toEqual({ t: [1_759_999_990, 1_760_000_005], v: [20.5, 20.5] });
  });

  it("keeps the status history, without repeating a retained status seen again after a reconnect", () => {
    const s = store();
    s.message("home/sensors/d/status", "online", true, T);
    s.message("home/sensors/d/status", "online", true, T + 1000);
    s.message("home/sensors/d/status", "offline", false, T + 2000);
    s.message("home/sensors/d/status", "online", false, T + 3000);
    const v = s.view("d")!;
    expect(v.status).toEqual({ status: "online", at: T + 3000, retained: false });
    expect(v.statusHistory.map((h) => [h.status, h.at, h.retained])).toEqual([
      ["online", T + 3000, false],
      ["offline", T + 2000, false],
      ["online", T, true],
    ]);
  });

  it("shows diagnostics until the retained message is cleared", () => {
    const s = store();
    s.message("home/sensors/d/diagnostics", '{"firmware":"1.2","freeJsVars":900}', true, T);
    expect(s.view("d")!.diagnostics).toEqual({ values: { firmware: "1.2", freeJsVars: 900 }, at: T, retained: true });
    s.message("home/sensors/d/diagnostics", "", true, T + 1);
    expect(s.view("d")!.diagnostics).toBeUndefined();
  });

  it("notes duplicates, restarts and late readings for the console", () => {
    const s = store();
    s.message("home/sensors/d/temperature", reading(1), false, T);
    expect(s.message("home/sensors/d/temperature", reading(1), false, T).note).toBe("d: duplicate seq 1 (boot 0)");
    s.message("home/sensors/d/temperature", reading(2), false, T);
    expect(s.message("home/sensors/d/temperature", reading(1), false, T).note).toBe(
      "d: seq numbering started again at seq 1 (boot 0)",
    );
    const late = s.message("home/sensors/d/temperature", reading(2, ',"boot":4,"time":1759999000'), false, T);
    expect(late.note).toBe("d: late by 1000 s seq 2 (boot 4)");
  });
});
