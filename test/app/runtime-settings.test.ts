/**
 * Settings taken at run time (src/app/runtime-settings.ts): a set message is accepted whole or
 * refused with a reason naming the setting, and the device's rules agree with the build's own
 * validation of the same settings (tools/build/settings.ts) for every value, bounds included.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeValues, parseSetMessage, settingError, type RuntimeRule } from "../../src/app/runtime-settings";
import { loadBoard } from "../../tools/build/boards";
import { runtimeRules } from "../../tools/build/firmware-config";
import { settingsProblems } from "../support/settings";

const RULES: RuntimeRule[] = [
  { name: "PUBLISH_INTERVAL_MS", min: 1000, max: 86400000 },
  { name: "DIAGNOSTICS_MS", min: 10000, max: 86400000, zero: true },
];

describe("settingError", () => {
  it("accepts whole numbers within the bounds, the bounds included", () => {
    expect(settingError(RULES, "PUBLISH_INTERVAL_MS", 1000)).toBe("");
    expect(settingError(RULES, "PUBLISH_INTERVAL_MS", 5000)).toBe("");
    expect(settingError(RULES, "PUBLISH_INTERVAL_MS", 86400000)).toBe("");
    expect(settingError(RULES, "DIAGNOSTICS_MS", 10000)).toBe("");
    expect(settingError(RULES, "DIAGNOSTICS_MS", 86400000)).toBe("");
  });

  it("refuses a name that is not a run-time setting, listing the ones that are", () => {
    const why = settingError(RULES, "KEEPALIVE_S", 30);
    expect(why).toBe(
      "KEEPALIVE_S: not a setting that can be changed at run time (PUBLISH_INTERVAL_MS, DIAGNOSTICS_MS, restart)",
    );
  });

  const notWhole: unknown[] = ["5000", 1000.5, NaN, Infinity, -Infinity, null, true, [5000], { ms: 5000 }, undefined];
  it.each(notWhole.map((v) => [typeof v === "number" ? String(v) : String(JSON.stringify(v)), v]))(
    "refuses %s as not a whole number, naming the setting",
    (_label, value) => {
      const why = settingError(RULES, "PUBLISH_INTERVAL_MS", value);
      expect(why).toMatch(/^PUBLISH_INTERVAL_MS: a whole number \(got /);
    },
  );

  it("refuses a value outside the bounds, saying them and what it got", () => {
    expect(settingError(RULES, "PUBLISH_INTERVAL_MS", 999)).toBe(
      "PUBLISH_INTERVAL_MS: from 1000 to 86400000 (got 999)",
    );
    expect(settingError(RULES, "PUBLISH_INTERVAL_MS", 86400001)).toBe(
      "PUBLISH_INTERVAL_MS: from 1000 to 86400000 (got 86400001)",
    );
    expect(settingError(RULES, "PUBLISH_INTERVAL_MS", -1)).toBe("PUBLISH_INTERVAL_MS: from 1000 to 86400000 (got -1)");
    expect(settingError(RULES, "DIAGNOSTICS_MS", 9999)).toBe("DIAGNOSTICS_MS: 0 or from 10000 to 86400000 (got 9999)");
    expect(settingError(RULES, "DIAGNOSTICS_MS", 1)).toBe("DIAGNOSTICS_MS: 0 or from 10000 to 86400000 (got 1)");
  });

  it("takes 0 only for a rule with `zero`", () => {
    expect(settingError(RULES, "DIAGNOSTICS_MS", 0)).toBe("");
    expect(settingError(RULES, "PUBLISH_INTERVAL_MS", 0)).toBe("PUBLISH_INTERVAL_MS: from 1000 to 86400000 (got 0)");
  });
});

describe("parseSetMessage", () => {
  it("accepts an object of settings, with or without restart", () => {
    expect(parseSetMessage('{"PUBLISH_INTERVAL_MS":5000}', RULES)).toEqual({
      values: { PUBLISH_INTERVAL_MS: 5000 },
      restart: false,
    });
    expect(parseSetMessage('{"PUBLISH_INTERVAL_MS":5000,"DIAGNOSTICS_MS":0}', RULES)).toEqual({
      values: { PUBLISH_INTERVAL_MS: 5000, DIAGNOSTICS_MS: 0 },
      restart: false,
    });
    expect(parseSetMessage('{"restart":true}', RULES)).toEqual({ values: {}, restart: true });
    expect(parseSetMessage(' {"DIAGNOSTICS_MS":60000, "restart":true} ', RULES)).toEqual({
      values: { DIAGNOSTICS_MS: 60000 },
      restart: true,
    });
  });

  it.each([
    ["not JSON", "not JSON"],
    ["{", "not JSON"],
    ["", "not JSON"],
    ["5000", "not a JSON object"],
    ['"PUBLISH_INTERVAL_MS"', "not a JSON object"],
    ["null", "not a JSON object"],
    ["true", "not a JSON object"],
    ["[]", "not a JSON object"],
    ['[{"PUBLISH_INTERVAL_MS":5000}]', "not a JSON object"],
    ["{}", "no setting in it"],
    ['{"restart":false}', "restart: only true"],
    ['{"restart":1}', "restart: only true"],
    ['{"restart":"true"}', "restart: only true"],
    ['{"PUBLISH_INTERVAL_MS":"5000"}', 'PUBLISH_INTERVAL_MS: a whole number (got "5000")'],
    ['{"PUBLISH_INTERVAL_MS":5000.5}', "PUBLISH_INTERVAL_MS: a whole number (got 5000.5)"],
    ['{"PUBLISH_INTERVAL_MS":[5000]}', "PUBLISH_INTERVAL_MS: a whole number (got [5000])"],
    ['{"PUBLISH_INTERVAL_MS":1e400}', "PUBLISH_INTERVAL_MS: a whole number (got null)"],
    ['{"PUBLISH_INTERVAL_MS":10}', "PUBLISH_INTERVAL_MS: from 1000 to 86400000 (got 10)"],
    ['{"PUBLISH_INTERVAL_MS":0}', "PUBLISH_INTERVAL_MS: from 1000 to 86400000 (got 0)"],
    ['{"DIAGNOSTICS_MS":5}', "DIAGNOSTICS_MS: 0 or from 10000 to 86400000 (got 5)"],
    [
      '{"WIFI_PASSWORD":12345678}',
      "WIFI_PASSWORD: not a setting that can be changed at run time (PUBLISH_INTERVAL_MS, DIAGNOSTICS_MS, restart)",
    ],
  ])("refuses %s: %s", (text, reason) => {
    expect(parseSetMessage(text, RULES)).toBe(reason);
  });

  it("refuses the whole message for one bad setting, whichever place it has: nothing of it is returned to apply", () => {
    for (const text of [
      '{"PUBLISH_INTERVAL_MS":5000,"DIAGNOSTICS_MS":5}',
      '{"DIAGNOSTICS_MS":5,"PUBLISH_INTERVAL_MS":5000}',
      '{"PUBLISH_INTERVAL_MS":5000,"restart":false}',
      '{"PUBLISH_INTERVAL_MS":5000,"NOPE":1}',
    ]) {
      const result = parseSetMessage(text, RULES);
      expect(typeof result, text).toBe("string");
    }
    expect(parseSetMessage('{"PUBLISH_INTERVAL_MS":5000,"DIAGNOSTICS_MS":5}', RULES)).toBe(
      "DIAGNOSTICS_MS: 0 or from 10000 to 86400000 (got 5)",
    );
  });
});

describe("describeValues", () => {
  it("lists name=value in the message's order", () => {
    expect(describeValues({ PUBLISH_INTERVAL_MS: 5000, DIAGNOSTICS_MS: 0 })).toBe(
      "PUBLISH_INTERVAL_MS=5000, DIAGNOSTICS_MS=0",
    );
    expect(describeValues({})).toBe("");
  });
});

describe("the device's rules agree with the build's validation", () => {
  // Settings both boards accept as they are: only the setting under test can fail.
  const good = {
    MQTT_URL: "mqtt://broker.lan:1883",
    DEVICE_ID: "dev-1",
    WIFI_SSID: "home",
    WIFI_PASSWORD: "password123",
  };
  const NAMES = ["PUBLISH_INTERVAL_MS", "DIAGNOSTICS_MS"] as const;

  describe.each(["linux", "esp32"])("board %s", (boardName) => {
    const board = loadBoard(boardName);
    const rules = runtimeRules(board);
    /** Does the build take `value` as the env setting `name`? */
    const buildTakes = (name: string, value: number) => {
      const problems = settingsProblems({ ...good, [name]: String(value) }, board);
      // A refusal names the setting it is about: nothing else in `good` may fail.
      if (problems)
        expect(problems.split("\n").filter((l) => /^\s*[A-Z_]+: /.test(l) && !l.trim().startsWith(name + ":"))).toEqual(
          [],
        );
      return problems === "";
    };

    it("the base settings pass, and the rules are the two run-time settings", () => {
      expect(settingsProblems(good, board)).toBe("");
      expect(rules.map((r) => r.name)).toEqual([...NAMES]);
    });

    it("settingError accepts exactly the values the build accepts, around every bound and anywhere", () => {
      const near = rules.flatMap((r) =>
        [r.min, r.max, 0, 100, 1000, 10000].flatMap((b) => [b - 2, b - 1, b, b + 1, b + 2]),
      );
      const value = fc.oneof(
        fc.constantFrom(...near),
        fc.integer({ min: -1000, max: 200000 }),
        fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }),
        fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e21),
        fc.double(),
      );
      fc.assert(
        fc.property(fc.constantFrom(...NAMES), value, (name, v) => {
          expect(settingError(rules, name, v) === "", `${name}=${v}: ${settingError(rules, name, v)}`).toBe(
            buildTakes(name, v),
          );
        }),
        { numRuns: 400 },
      );
    });

    it("the bounds themselves: each rule's min and max are taken, one past them refused, by both", () => {
      for (const r of rules) {
        for (const v of [r.min, r.max])
          expect([settingError(rules, r.name, v), buildTakes(r.name, v)]).toEqual(["", true]);
        for (const v of [r.min - 1, r.max + 1]) {
          expect(settingError(rules, r.name, v)).not.toBe("");
          expect(buildTakes(r.name, v)).toBe(false);
        }
        expect(settingError(rules, r.name, 0) === "").toBe(buildTakes(r.name, 0));
      }
    });
  });
});
