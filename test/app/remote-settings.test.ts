/**
 * Settings over MQTT (src/app/remote-settings.ts) on a fake flash with zlib's CRC-32: an accepted
 * message is kept in flash before it is applied, confirmed and logged, and comes back at the next
 * boot; a refused one changes nothing; a retained one is acted on once; a torn or corrupt file,
 * and values the rules now refuse, are reported and left out.
 */
import { describe, expect, it } from "vitest";
import {
  handleSetMessage,
  readKeptSettings,
  restoreSettings,
  SETTINGS_FILE,
  type SetMessagePorts,
} from "../../src/app/remote-settings";
import type { RuntimeRule } from "../../src/app/runtime-settings";
import { FakeFlash, PowerCut, nodeCrc } from "../support/fake-flash";

const RULES: RuntimeRule[] = [
  { name: "PUBLISH_INTERVAL_MS", min: 1000, max: 86400000 },
  { name: "DIAGNOSTICS_MS", min: 10000, max: 86400000, zero: true },
];

const FAILED_CHECK = "[settings] the settings in flash fail their check (a write cut short?): the build's values stay";
const IGNORED = "[settings] retained set message acted on already: ignored";

/**
 * FakeFlash with Espruino's rule for a write at offset 0 without a size (src/jsflash.c
 * jsfWriteFile): it replaces the file, at the data's size. The shared fake writes into the
 * existing file instead (the store always gives a size), which would refuse every rewrite.
 */
class EspruinoFlash extends FakeFlash {
  write(name: string, data: string, offset = 0, size = 0): boolean {
    return super.write(name, data, offset, !offset && !size ? data.length : size);
  }
}

/** One boot's ports over `flash`: every call is recorded in `events`, in order. */
function device(flash: FakeFlash, rules: RuntimeRule[] = RULES) {
  const events: string[] = [];
  const logs: string[] = [];
  const applied: Record<string, number> = {};
  const ports: SetMessagePorts = {
    flash: {
      read: (name) => flash.read(name),
      write(name, data) {
        events.push("write");
        return flash.write(name, data);
      },
    },
    crc: nodeCrc,
    rules,
    apply(name, value) {
      // What is applied is in flash already.
      events.push(
        "apply " +
          name +
          "=" +
          value +
          (readKeptSettings({ ...ports, log: () => {} }).values[name] === value ? " (kept)" : " (not kept)"),
      );
      applied[name] = value;
    },
    log(line) {
      logs.push(line);
      events.push("log " + line);
    },
    confirm: (result) => events.push("confirm " + result),
    restart: () => events.push("restart"),
  };
  const restarts = () => events.filter((e) => e === "restart").length;
  const applies = () => events.filter((e) => e.startsWith("apply "));
  return {
    ports,
    events,
    logs,
    applied,
    restarts,
    applies,
    set: (text: string, retained = false) => handleSetMessage(text, retained, ports),
  };
}

/** Writes `.settings` as the device would, `<crc32 hex> <json>`. */
function keep(flash: FakeFlash, kept: object): void {
  const body = JSON.stringify(kept);
  flash.write(SETTINGS_FILE, (nodeCrc(body) >>> 0).toString(16) + " " + body);
}

describe("an accepted set message", () => {
  it("is written to flash, then applied, logged and confirmed, in that order", () => {
    const flash = new EspruinoFlash();
    const d = device(flash);
    d.set('{"PUBLISH_INTERVAL_MS":5000,"DIAGNOSTICS_MS":60000}');
    expect(d.events).toEqual([
      "write",
      "apply PUBLISH_INTERVAL_MS=5000 (kept)",
      "apply DIAGNOSTICS_MS=60000 (kept)",
      "log [settings] set over MQTT: PUBLISH_INTERVAL_MS=5000, DIAGNOSTICS_MS=60000",
      "confirm applied: PUBLISH_INTERVAL_MS=5000, DIAGNOSTICS_MS=60000",
    ]);
    expect(readKeptSettings(d.ports).values).toEqual({ PUBLISH_INTERVAL_MS: 5000, DIAGNOSTICS_MS: 60000 });
    const file = flash.read(SETTINGS_FILE)!;
    const [crc, body] = [file.slice(0, file.indexOf(" ")), file.slice(file.indexOf(" ") + 1)];
    expect(parseInt(crc, 16)).toBe(nodeCrc(body));
    expect(JSON.parse(body).values).toEqual({ PUBLISH_INTERVAL_MS: 5000, DIAGNOSTICS_MS: 60000 });
  });

  it("is applied again by restoreSettings after a reboot (new ports, the same flash), with later values over earlier ones", () => {
    const flash = new EspruinoFlash();
    const first = device(flash);
    first.set('{"PUBLISH_INTERVAL_MS":5000}');
    first.set('{"DIAGNOSTICS_MS":0}');
    first.set('{"PUBLISH_INTERVAL_MS":7000}');
    expect(first.logs.some((l) => l.includes("flash refused it"))).toBe(false);

    const rebooted = device(flash);
    restoreSettings(rebooted.ports);
    expect(rebooted.applied).toEqual({ PUBLISH_INTERVAL_MS: 7000, DIAGNOSTICS_MS: 0 });
    expect(rebooted.logs).toEqual([
      "[settings] from flash (set over MQTT): PUBLISH_INTERVAL_MS=7000, DIAGNOSTICS_MS=0",
    ]);
    expect(rebooted.events.filter((e) => e === "write")).toEqual([]); // restoring writes nothing
  });

  it("restoreSettings with nothing in flash applies and logs nothing", () => {
    const d = device(new EspruinoFlash());
    restoreSettings(d.ports);
    expect(d.events).toEqual([]);
    expect(readKeptSettings(d.ports)).toEqual({ values: {} });
  });

  it("a restart message is confirmed, then restarts, and keeps nothing as a value", () => {
    const flash = new EspruinoFlash();
    const d = device(flash);
    d.set('{"DIAGNOSTICS_MS":20000,"restart":true}');
    expect(d.events.filter((e) => !e.startsWith("write"))).toEqual([
      "apply DIAGNOSTICS_MS=20000 (kept)",
      "log [settings] set over MQTT: DIAGNOSTICS_MS=20000, restart",
      "confirm applied: DIAGNOSTICS_MS=20000, restart",
      "restart",
    ]);
    const only = device(flash);
    only.set('{"restart":true}');
    expect(only.events).toEqual([
      "write",
      "log [settings] set over MQTT: restart",
      "confirm applied: restart",
      "restart",
    ]);
    expect(readKeptSettings(only.ports).values).toEqual({ DIAGNOSTICS_MS: 20000 });
  });
});

describe("a refused set message", () => {
  it.each([
    ['{"PUBLISH_INTERVAL_MS":10}', "PUBLISH_INTERVAL_MS: from 1000 to 86400000 (got 10)"],
    ['{"PUBLISH_INTERVAL_MS":5000,"DIAGNOSTICS_MS":5}', "DIAGNOSTICS_MS: 0 or from 10000 to 86400000 (got 5)"],
    [
      '{"PUBLISH_INTERVAL_MS":5000,"KEEPALIVE_S":10}',
      "KEEPALIVE_S: not a setting that can be changed at run time (PUBLISH_INTERVAL_MS, DIAGNOSTICS_MS, restart)",
    ],
    ['{"PUBLISH_INTERVAL_MS":5000,"restart":false}', "restart: only true"],
    ["interval=5000", "not JSON"],
    ["[5000]", "not a JSON object"],
    ["{}", "no setting in it"],
  ])("%s changes neither the values in flash nor any setting, and says why: %s", (text, reason) => {
    const flash = new EspruinoFlash();
    const d = device(flash);
    d.set('{"PUBLISH_INTERVAL_MS":3000}');
    d.events.length = 0;
    d.set(text);
    expect(d.events.filter((e) => e !== "write")).toEqual([
      "log [settings] set message refused: " + reason,
      "confirm refused: " + reason,
    ]);
    expect(readKeptSettings(d.ports).values).toEqual({ PUBLISH_INTERVAL_MS: 3000 });
    expect(d.applied).toEqual({ PUBLISH_INTERVAL_MS: 3000 });
    // Nor after a reboot.
    const rebooted = device(flash);
    restoreSettings(rebooted.ports);
    expect(rebooted.applied).toEqual({ PUBLISH_INTERVAL_MS: 3000 });
  });

  it("retained, it is remembered (its CRC) so it is not refused again at every subscribe, the values unchanged", () => {
    const flash = new EspruinoFlash();
    const d = device(flash);
    d.set('{"PUBLISH_INTERVAL_MS":3000}');
    d.events.length = 0;
    d.set('{"PUBLISH_INTERVAL_MS":1}', true);
    expect(d.applies()).toEqual([]);
    expect(d.events.at(-1)).toBe("confirm refused: PUBLISH_INTERVAL_MS: from 1000 to 86400000 (got 1)");
    expect(readKeptSettings(d.ports).values).toEqual({ PUBLISH_INTERVAL_MS: 3000 });
    d.events.length = 0;
    d.set('{"PUBLISH_INTERVAL_MS":1}', true);
    expect(d.events).toEqual(["log " + IGNORED]);
  });
});

describe("retained set messages", () => {
  it("one is acted on once: the same retained message again (the broker's resend at a subscribe) is ignored, after a reboot too", () => {
    const flash = new EspruinoFlash();
    const d = device(flash);
    const text = '{"PUBLISH_INTERVAL_MS":5000}';
    d.set(text, true);
    expect(d.applies()).toEqual(["apply PUBLISH_INTERVAL_MS=5000 (kept)"]);
    d.events.length = 0;
    d.set(text, true);
    expect(d.events).toEqual(["log " + IGNORED]);

    const rebooted = device(flash);
    restoreSettings(rebooted.ports);
    rebooted.events.length = 0;
    rebooted.set(text, true);
    expect(rebooted.events).toEqual(["log " + IGNORED]);
  });

  it("a different retained message is applied", () => {
    const d = device(new EspruinoFlash());
    d.set('{"PUBLISH_INTERVAL_MS":5000}', true);
    d.set('{"PUBLISH_INTERVAL_MS":6000}', true);
    d.set('{"DIAGNOSTICS_MS":0}', true);
    expect(d.applies()).toEqual([
      "apply PUBLISH_INTERVAL_MS=5000 (kept)",
      "apply PUBLISH_INTERVAL_MS=6000 (kept)",
      "apply DIAGNOSTICS_MS=0 (kept)",
    ]);
    expect(d.logs.filter((l) => l === IGNORED)).toEqual([]);
  });

  it("the same message not retained is applied every time", () => {
    const d = device(new EspruinoFlash());
    const text = '{"DIAGNOSTICS_MS":30000}';
    d.set(text, true);
    d.set(text, false);
    d.set(text, false);
    expect(d.applies()).toHaveLength(3);
    expect(d.events.filter((e) => e.startsWith("confirm "))).toEqual(
      Array(3).fill("confirm applied: DIAGNOSTICS_MS=30000"),
    );
    // A non-retained one does not make the retained one new again.
    d.events.length = 0;
    d.set(text, true);
    expect(d.events).toEqual(["log " + IGNORED]);
  });

  it("a retained restart restarts once: after the reboot the broker's resend of it is ignored", () => {
    const flash = new EspruinoFlash();
    const d = device(flash);
    d.set('{"restart":true}', true);
    expect(d.restarts()).toBe(1);
    d.set('{"restart":true}', true);
    expect(d.restarts()).toBe(1);
    const rebooted = device(flash);
    restoreSettings(rebooted.ports);
    rebooted.set('{"restart":true}', true);
    expect(rebooted.restarts()).toBe(0);
    expect(rebooted.logs).toEqual([IGNORED]);
  });

  // Flash that cannot keep the message's CRC would make a retained restart restart every boot on
  // the broker's resend: the restart is refused instead.
  it("a restart that flash cannot mark as done is refused, so a retained one cannot loop", () => {
    const flash = new EspruinoFlash(64); // too small for .settings: "Unable to find or create file"
    let restarts = 0;
    for (let boot = 0; boot < 3; boot++) {
      const d = device(flash);
      restoreSettings(d.ports);
      d.set('{"restart":true}', true);
      restarts += d.restarts();
    }
    expect(restarts).toBe(0);
  });
});

describe("a torn or corrupt settings file", () => {
  /** A flash holding one accepted message's file. */
  function written(): EspruinoFlash {
    const flash = new EspruinoFlash();
    device(flash).set('{"PUBLISH_INTERVAL_MS":5000,"DIAGNOSTICS_MS":60000}');
    return flash;
  }
  const corrupt = (flash: FakeFlash, change: (bytes: Uint8Array) => Uint8Array) =>
    flash.files.set(SETTINGS_FILE, change(flash.files.get(SETTINGS_FILE)!));

  it.each([
    ["cut short by a byte", (b: Uint8Array) => b.subarray(0, b.length - 1)],
    ["cut short inside the JSON", (b: Uint8Array) => b.subarray(0, 20)],
    ["cut inside the CRC", (b: Uint8Array) => b.subarray(0, 3)],
    [
      "a value's digit flipped",
      (b: Uint8Array) => b.map((x, i) => (i === Buffer.from(b).lastIndexOf(":5000") + 1 ? 0x36 : x)),
    ],
    ["a CRC digit changed", (b: Uint8Array) => b.map((x, i) => (i === 0 ? (x === 0x30 ? 0x31 : 0x30) : x))],
    ["the space gone", (b: Uint8Array) => b.filter((x) => x !== 0x20)],
    [
      "its tail still erased (0xFF), as a power cut leaves it",
      (b: Uint8Array) => b.map((x, i) => (i > b.length / 2 ? 0xff : x)),
    ],
    ["all erased", (b: Uint8Array) => b.map(() => 0xff)],
    ["not ours at all", () => new Uint8Array(Buffer.from("hello world"))],
  ])("%s: restore applies nothing and says so", (_what, change) => {
    const flash = written();
    corrupt(flash, change);
    const d = device(flash);
    restoreSettings(d.ports);
    expect(d.events).toEqual(["log " + FAILED_CHECK]);
    expect(readKeptSettings({ ...d.ports, log: () => {} })).toEqual({ values: {} });
  });

  it("a valid CRC over JSON it cannot read is reported too (and nothing thrown)", () => {
    const flash = new EspruinoFlash();
    const body = '{"values":{"PUBLISH_INTERVAL_MS":50';
    flash.write(SETTINGS_FILE, nodeCrc(body).toString(16) + " " + body);
    const d = device(flash);
    expect(() => restoreSettings(d.ports)).not.toThrow();
    expect(d.events).toEqual(["log " + FAILED_CHECK]);
  });

  it("a power cut in the middle of the write: the message is still applied for now, and the next boot has the build's values", () => {
    const flash = new EspruinoFlash();
    flash.cutAfterBytes = 20;
    const d = device(flash);
    d.set('{"PUBLISH_INTERVAL_MS":5000}');
    expect(d.applied).toEqual({ PUBLISH_INTERVAL_MS: 5000 });
    expect(d.logs).toEqual([
      "[settings] set over MQTT: PUBLISH_INTERVAL_MS=5000 (flash refused it: until the next reset only)",
    ]);
    expect(() => flash.write("x", "y")).toThrow(PowerCut); // the cut is real
    flash.cutAfterBytes = undefined;
    const rebooted = device(flash);
    restoreSettings(rebooted.ports);
    expect(rebooted.events).toEqual(["log " + FAILED_CHECK]);
  });

  it("a set message over a corrupt file is applied, and its write mends the file", () => {
    const flash = written();
    corrupt(flash, (b) => b.subarray(0, 10));
    const d = device(flash);
    d.set('{"DIAGNOSTICS_MS":0}');
    expect(d.logs).toEqual([FAILED_CHECK, "[settings] set over MQTT: DIAGNOSTICS_MS=0"]);
    const rebooted = device(flash);
    restoreSettings(rebooted.ports);
    expect(rebooted.applied).toEqual({ DIAGNOSTICS_MS: 0 });
  });
});

describe("values in flash the current rules refuse", () => {
  it("are dropped with a line each (the build may be newer), and the rest applied", () => {
    const flash = new EspruinoFlash();
    // Kept by an older build with looser rules.
    const old = device(flash, [
      { name: "PUBLISH_INTERVAL_MS", min: 100, max: 86400000 },
      { name: "DIAGNOSTICS_MS", min: 10000, max: 86400000, zero: true },
      { name: "GONE_MS", min: 0, max: 10 },
    ]);
    old.set('{"PUBLISH_INTERVAL_MS":500,"DIAGNOSTICS_MS":60000,"GONE_MS":5}');
    expect(old.applies()).toHaveLength(3);

    const d = device(flash);
    restoreSettings(d.ports);
    expect(d.applied).toEqual({ DIAGNOSTICS_MS: 60000 });
    expect(d.logs).toEqual([
      "[settings] kept in flash but refused now, the build's value stays: PUBLISH_INTERVAL_MS: from 1000 to 86400000 (got 500)",
      "[settings] kept in flash but refused now, the build's value stays: GONE_MS: not a setting that can be changed at run time (PUBLISH_INTERVAL_MS, DIAGNOSTICS_MS, restart)",
      "[settings] from flash (set over MQTT): DIAGNOSTICS_MS=60000",
    ]);
  });

  it("none left: no 'from flash' line", () => {
    const flash = new EspruinoFlash();
    keep(flash, { values: { PUBLISH_INTERVAL_MS: "5000" } });
    const d = device(flash);
    restoreSettings(d.ports);
    expect(d.applies()).toEqual([]);
    expect(d.logs).toEqual([
      '[settings] kept in flash but refused now, the build\'s value stays: PUBLISH_INTERVAL_MS: a whole number (got "5000")',
    ]);
  });
});

describe("flash that refuses the write", () => {
  it.each([
    ["throws (flash full)", () => new EspruinoFlash(64)],
    [
      "returns false",
      () =>
        Object.assign(new EspruinoFlash(), {
          write: () => false,
        }),
    ],
  ])("%s: the message is still applied and confirmed, and the log says until the next reset", (_what, make) => {
    const flash = make();
    const d = device(flash);
    d.set('{"PUBLISH_INTERVAL_MS":5000}');
    expect(d.events.filter((e) => e !== "write")).toEqual([
      "apply PUBLISH_INTERVAL_MS=5000 (not kept)",
      "log [settings] set over MQTT: PUBLISH_INTERVAL_MS=5000 (flash refused it: until the next reset only)",
      "confirm applied: PUBLISH_INTERVAL_MS=5000",
    ]);
    const rebooted = device(flash);
    restoreSettings(rebooted.ports);
    expect(rebooted.applies()).toEqual([]);
  });
});
