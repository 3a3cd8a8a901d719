/**
 * The RAM and flash budget per board, from measured costs: what cannot fit is refused with the
 * numbers (TLS on the ESP32, a store larger than its flash, a sensor on a flash pin or on a pin
 * that does not exist), and what fits shows its margin.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { boardProblems, loadBoard } from "../../tools/build/boards";
import { formatBudget, FIRMWARE_JSVARS, RAM_EXTRA_FROM_RAM_JSVARS } from "../../tools/build/budget";
import { planBoard } from "../../tools/build/plan";
import { SettingsError } from "../../tools/build/settings";

const ROOT = resolve(__dirname, "../..");
const good = { MQTT_URL: "mqtt://alice:s3cret@broker.lan", DEVICE_ID: "kitchen", WIFI_SSID: "home", WIFI_PASSWORD: "wifi-Pa55word" };

function refusal(board: string, env: Record<string, string>): string {
  try {
    planBoard(board, env);
    return "";
  } catch (e) {
    expect(e).toBeInstanceOf(SettingsError);
    return (e as Error).message;
  }
}

describe("RAM budget", () => {
  it("esp32: the firmware's measured 1,126 JsVars of 2,500, run from flash", () => {
    const { budget } = planBoard("esp32", good);
    expect(FIRMWARE_JSVARS).toBe(1126);
    expect(budget.ram).toMatchObject({ used: 1126, total: 2500 });
  });

  it("esp32 refuses mqtts://: two 16 KB mbedtls buffers do not fit beside the firmware", () => {
    const text = refusal("esp32", { ...good, MQTT_URL: "mqtts://alice:s3cret@broker.lan" });
    expect(text).toMatch(/^ {2}MQTT_URL: mqtts:\/\/ needs .*2 x 16,384 B.*2,341 JsVars.*1,126.*3,467 of the esp32's 2,500 JsVars/m);
    expect(text).not.toContain("s3cret");
  });

  it("linux: the pool grows on demand, so TLS is taken and the estimate shown without a limit", () => {
    const { budget } = planBoard("linux", { MQTT_URL: "mqtts://127.0.0.1" });
    expect(budget.ram.total).toBeUndefined();
    expect(budget.ram.used).toBeGreaterThan(FIRMWARE_JSVARS);
  });

  it("run from RAM (flash --ram) costs the measured 860 JsVars more", () => {
    expect(RAM_EXTRA_FROM_RAM_JSVARS).toBe(860);
    expect(planBoard("esp32", good, { fromRam: true }).budget.ram.used).toBe(1126 + 860);
  });
});

describe("flash budget", () => {
  it("esp32: STORE_READINGS/186 rounded up plus 1 segments of 4,096 + 32 bytes, and .bootcde within its budget", () => {
    const { budget } = planBoard("esp32", { ...good, STORE_READINGS: "8640" });
    expect(budget.flash.total).toBe(917504);
    expect(budget.flash.items).toEqual(
      expect.arrayContaining([
        { label: "store: 48 segments x 4,128 B", bytes: 48 * 4128 },
        { label: ".bootcde (budget)", bytes: 32768 + 32 },
      ]),
    );
    expect(budget.flash.used).toBeLessThan(budget.flash.total);
  });

  it("a store larger than the flash is refused with the numbers", () => {
    const text = refusal("esp32", { ...good, STORE_READINGS: "100000" });
    expect(text).toMatch(/^ {2}STORE_READINGS: 100000 readings need 539 segments x 4,128 B = 2,224,992 B; the esp32's Storage has room for at most 38,130 readings/m);
  });

  it("the bundle's real size replaces its budget once it is built", () => {
    const { budget } = planBoard("esp32", good, { bundleBytes: 15000 });
    expect(budget.flash.items).toContainEqual({ label: ".bootcde", bytes: 15032 });
  });

  it("prints bars with the margin", () => {
    const lines = formatBudget(planBoard("esp32", good).budget);
    expect(lines[0]).toMatch(/^RAM +\[#+-+\] +45 % +1,126 of 2,500 JsVars, 1,374 free/);
    expect(lines[1]).toMatch(/^flash +\[#*-+\] +\d+ % +[\d,]+ of 917,504 B, [\d,]+ free/);
  });
});

describe("DS18B20 pin", () => {
  const esp32 = JSON.parse(readFileSync(resolve(ROOT, "boards/esp32.json"), "utf8"));
  const check = (pin: string) => boardProblems("test", { ...esp32, sensor: { type: "ds18b20", pin } });

  it.each(["D6", "D7", "D8", "D9", "D10", "D11"])("refuses the flash pin %s", (pin) => {
    expect(check(pin).problems).toEqual([expect.stringMatching(new RegExp(`^sensor\\.pin: ${pin} .*flash`))]);
  });

  it.each(["D20", "D24", "D28", "D31", "D40", "D99"])("refuses %s, which the ESP32 does not have", (pin) => {
    expect(check(pin).problems).toEqual([expect.stringMatching(new RegExp(`^sensor\\.pin: ${pin} .*no such pin`))]);
  });

  it.each(["D34", "D39"])("refuses the input-only %s (OneWire drives the line)", (pin) => {
    expect(check(pin).problems).toEqual([expect.stringMatching(/input-only/)]);
  });

  it.each(["D4", "D13", "D27", "D33"])("takes %s", (pin) => {
    expect(check(pin)).toEqual({ problems: [], warnings: [] });
  });

  it("warns about a strapping pin", () => {
    expect(check("D2")).toEqual({ problems: [], warnings: [expect.stringMatching(/sensor\.pin: D2 is a strapping pin/)] });
  });

  it("the board files in boards/ are good", () => {
    expect(loadBoard("esp32").sensor).toMatchObject({ type: "ds18b20", pin: "D4" });
  });
});
