/**
 * The device glue that only an ESP32 exercises (Wi-Fi, DS18B20 on OneWire), run on Node against
 * fakes of Espruino's globals, so its logic is tested without a board.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { wifiLink } from "../../firmware/wifi";
import { createSensor as createDs18b20 } from "../../firmware/sensors/ds18b20";
import { dallasCrc8 } from "../../src/app/ds18b20";

type Listener = (details: { reason?: string }) => void;

/**
 * A scripted Espruino `Wifi` module, with the Storage file `Wifi.save()` writes (`.wificfg`, as
 * the ESP32 build keeps it) and the station's address.
 */
function fakeWifi(saved?: { ssid: string; password: string }) {
  const listeners: Record<string, Listener> = {};
  const calls: { ssid: string; password?: string; callback: (error: string | null) => void }[] = [];
  const sntp: [string, number][] = [];
  const state = { ip: "0.0.0.0", saves: 0 };
  const files: Record<string, unknown> = saved ? { ".wificfg": { ...saved, mode: 1 } } : {};
  return {
    listeners,
    calls,
    sntp,
    state,
    files,
    module: {
      connect: (ssid: string, options: { password?: string }, callback: (error: string | null) => void) =>
        calls.push({ ssid, password: options.password, callback }),
      setSNTP: (server: string, tz: number) => sntp.push([server, tz]),
      getStatus: () => ({ rssi: -60 }),
      getIP: () => ({ ip: state.ip }),
      save: () => {
        state.saves++;
        const last = calls[calls.length - 1];
        files[".wificfg"] = { ssid: last.ssid, password: last.password, mode: 1 };
      },
      on: (event: string, listener: Listener) => (listeners[event] = listener),
    },
    storage: { readJSON: (name: string) => files[name] },
  };
}

const globals = globalThis as Record<string, unknown>;
afterEach(() => {
  delete globals.OneWire;
  delete globals.Pin;
  vi.useRealTimers();
});

describe("Wi-Fi link", () => {
  let wifi: ReturnType<typeof fakeWifi>;
  beforeEach(() => {
    wifi = fakeWifi();
  });

  it("connects with the SSID and password, reports up once connected, and sets the clock by SNTP (UTC)", () => {
    const logs: string[] = [];
    const link = wifiLink(wifi.module, "home", "secret123", "time.lan", (l) => logs.push(l), wifi.storage);
    expect(link.isUp()).toBe(false);
    const done = vi.fn();
    link.connect(done);
    expect(wifi.calls).toEqual([{ ssid: "home", password: "secret123", callback: expect.any(Function) }]);
    wifi.calls[0].callback(null);
    expect(done).toHaveBeenCalledWith();
    expect(link.isUp()).toBe(true);
    expect(logs).toEqual([
      "[wifi] connecting to home",
      "[wifi] settings saved: the board joins with them at its next start",
      "[wifi] connected",
    ]);
    expect(wifi.sntp).toEqual([["time.lan", 0]]);
    expect(logs.join()).not.toContain("secret123");
  });

  it("saves the settings once, after the first join: a reconnect does not write flash again", () => {
    const link = wifiLink(wifi.module, "home", "secret123", "time.lan", () => {}, wifi.storage);
    link.connect(() => {});
    wifi.calls[0].callback(null);
    expect(wifi.state.saves).toBe(1);
    expect(wifi.files[".wificfg"]).toMatchObject({ ssid: "home", password: "secret123" });
    wifi.listeners.disconnected({ reason: "beacon_timeout" });
    link.connect(() => {});
    wifi.calls[1].callback(null);
    expect(wifi.state.saves).toBe(1);
  });

  it("does not save settings that failed to join", () => {
    const link = wifiLink(wifi.module, "home", "secret123", "time.lan", () => {}, wifi.storage);
    link.connect(() => {});
    wifi.calls[0].callback("wrong_password");
    expect(wifi.state.saves).toBe(0);
  });

  it("passes a connection error on and stays down", () => {
    const link = wifiLink(wifi.module, "home", "secret123", "time.lan", () => {}, wifi.storage);
    const done = vi.fn();
    link.connect(done);
    wifi.calls[0].callback("wrong_password");
    expect(done).toHaveBeenCalledWith("wrong_password");
    expect(wifi.sntp).toEqual([]);
    expect(link.isUp()).toBe(false);
  });

  it("tells the session when an up link goes down, and only then", () => {
    const link = wifiLink(wifi.module, "home", "secret123", "time.lan", () => {}, wifi.storage);
    const down = vi.fn();
    link.onDown(down);
    wifi.listeners.disconnected({ reason: "beacon_timeout" });
    expect(down).not.toHaveBeenCalled(); // it was never up
    wifi.listeners.connected({});
    expect(link.isUp()).toBe(true);
    wifi.listeners.disconnected({ reason: "beacon_timeout" });
    expect(down).toHaveBeenCalledWith("Wi-Fi disconnected (beacon_timeout)");
    expect(link.isUp()).toBe(false);
  });
});

describe("Wi-Fi link, with settings the board saved (a wake, a reset)", () => {
  beforeEach(() => vi.useFakeTimers());
  const start = (saved: { ssid: string; password: string }) => {
    const wifi = fakeWifi(saved);
    const logs: string[] = [];
    const link = wifiLink(wifi.module, "home", "secret123", "time.lan", (l) => logs.push(l), wifi.storage);
    return { wifi, logs, link };
  };

  it("waits for the board's own join instead of starting one, and is up when it gets its address", () => {
    const { wifi, logs, link } = start({ ssid: "home", password: "secret123" });
    const done = vi.fn();
    link.connect(done);
    expect(wifi.calls).toEqual([]);
    expect(done).not.toHaveBeenCalled();
    vi.advanceTimersByTime(2000);
    wifi.listeners.connected({});
    expect(done).toHaveBeenCalledWith();
    expect(link.isUp()).toBe(true);
    expect(wifi.sntp).toEqual([["time.lan", 0]]);
    expect(wifi.state.saves).toBe(0);
    expect(logs).toEqual(["[wifi] joining home with the board's saved settings", "[wifi] connected"]);
    vi.advanceTimersByTime(10000); // the wait's timer is gone: no join of its own later
    expect(wifi.calls).toEqual([]);
    expect(done).toHaveBeenCalledTimes(1);
  });

  it("is up at once when the board joined before the firmware asked", () => {
    const { wifi, link } = start({ ssid: "home", password: "secret123" });
    wifi.state.ip = "192.168.1.40";
    const done = vi.fn();
    link.connect(done);
    expect(done).toHaveBeenCalledWith();
    expect(wifi.calls).toEqual([]);
  });

  it("joins by itself when the board's join fails, or takes over 5 s", () => {
    const failed = start({ ssid: "home", password: "secret123" });
    const done = vi.fn();
    failed.link.connect(done);
    failed.wifi.listeners.disconnected({ reason: "no_ap_found" });
    expect(failed.wifi.calls.map((c) => c.ssid)).toEqual(["home"]);
    failed.wifi.calls[0].callback(null);
    expect(done).toHaveBeenCalledWith();
    expect(failed.logs).toContain("[wifi] the board's join failed (no_ap_found)");

    const slow = start({ ssid: "home", password: "secret123" });
    slow.link.connect(() => {});
    vi.advanceTimersByTime(4999);
    expect(slow.wifi.calls).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(slow.wifi.calls.map((c) => c.ssid)).toEqual(["home"]);
    expect(slow.logs).toContain("[wifi] the board's join took over 5000 ms");
  });

  it("forgets a wait the session gave up on: only the newer connect hears of the join", () => {
    const { wifi, link } = start({ ssid: "home", password: "secret123" });
    const abandoned = vi.fn();
    const retried = vi.fn();
    link.connect(abandoned);
    link.connect(retried); // the session's network deadline passed, and it tried again
    wifi.listeners.connected({});
    wifi.calls[0].callback(null);
    vi.advanceTimersByTime(10000);
    expect(abandoned).not.toHaveBeenCalled();
    expect(retried).toHaveBeenCalledWith();
  });

  it("waits only once: a later connect (after the link went down) is its own join", () => {
    const { wifi, link } = start({ ssid: "home", password: "secret123" });
    link.connect(() => {});
    wifi.listeners.connected({});
    wifi.listeners.disconnected({ reason: "beacon_timeout" });
    link.connect(() => {});
    expect(wifi.calls.map((c) => c.ssid)).toEqual(["home"]);
  });

  it("does not wait for settings that are not these (another network, another password), and saves these", () => {
    for (const saved of [
      { ssid: "other", password: "secret123" },
      { ssid: "home", password: "old-password" },
    ]) {
      const { wifi, link } = start(saved);
      link.connect(() => {});
      expect(wifi.calls.map((c) => c.ssid)).toEqual(["home"]);
      wifi.calls[0].callback(null);
      expect(wifi.state.saves).toBe(1);
      expect(wifi.files[".wificfg"]).toMatchObject({ ssid: "home", password: "secret123" });
    }
  });
});

describe("DS18B20 driver", () => {
  /** What the fake bus saw: writes, resets, and resets while a conversion was under way. */
  interface BusLog {
    writes: unknown[];
    resets: number;
    resetsDuringConversion: number;
    conversions: number;
  }
  /**
   * A OneWire bus with one DS18B20 whose scratchpad is `pad` (or none when `present` is false).
   * CONVERT T takes 750 ms (Date.now(), faked with the timers); a reset in that time would abort it.
   */
  function bus(pad: number[], present = true): BusLog {
    const log: BusLog = { writes: [], resets: 0, resetsDuringConversion: 0, conversions: 0 };
    let convertingUntil = 0;
    globals.Pin = (name: string) => ({ pin: name });
    globals.OneWire = class {
      constructor(readonly pin: unknown) {}
      reset = () => {
        log.resets++;
        if (Date.now() < convertingUntil) log.resetsDuringConversion++;
        return present;
      };
      skip = () => {};
      write = (data: number, power?: boolean) => {
        log.writes.push([data, !!power]);
        if (data === 0x44) {
          log.conversions++;
          convertingUntil = Date.now() + 750;
        }
      };
      read = (count: number) => pad.slice(0, count);
    };
    return log;
  }
  const scratchpad = (lsb: number, msb: number, byte6 = 0x0c) => {
    const bytes = [lsb, msb, 0x4b, 0x46, 0x7f, 0xff, byte6, 0x10];
    return [...bytes, dallasCrc8(bytes, 8)];
  };

  it("starts a conversion with strong pull-up, waits 750 ms, reads the scratchpad", () => {
    vi.useFakeTimers();
    const { writes } = bus(scratchpad(0x91, 0x01));
    const sensor = createDs18b20({ pin: "D4" });
    expect(sensor.name).toBe("DS18B20 on D4");
    const done = vi.fn();
    sensor.read(done);
    expect(writes).toEqual([[0x44, true]]);
    vi.advanceTimersByTime(749);
    expect(done).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(writes).toEqual([
      [0x44, true],
      [0xbe, false],
    ]);
    expect(done).toHaveBeenCalledWith(25.0625);
  });

  it("reports a CRC mismatch and a silent bus as errors, not temperatures", () => {
    vi.useFakeTimers();
    const bad = scratchpad(0x91, 0x01);
    bad[8] ^= 0xff;
    bus(bad);
    const done = vi.fn();
    createDs18b20({ pin: "D4" }).read(done);
    vi.advanceTimersByTime(750);
    expect(done).toHaveBeenCalledWith(undefined, "CRC mismatch");

    bus([], false);
    const none = vi.fn();
    createDs18b20({ pin: "D5" }).read(none);
    expect(none).toHaveBeenCalledWith(undefined, "no DS18B20 answers on D5");
  });

  it("never resets the bus during a conversion: reads every 100 ms for 2 s answer busy while one is pending", () => {
    vi.useFakeTimers();
    const log = bus(scratchpad(0x91, 0x01));
    const sensor = createDs18b20({ pin: "D4" });
    const answers: unknown[][] = [];
    const timer = setInterval(() => sensor.read((...a) => answers.push(a)), 100);
    vi.advanceTimersByTime(2000);
    clearInterval(timer);
    vi.advanceTimersByTime(1000); // the last conversion completes
    expect(log.resetsDuringConversion).toBe(0);
    // 20 reads: one conversion starts at 100 ms, 900 ms (the first read after 850 ms) and 1700 ms.
    expect(log.conversions).toBe(3);
    expect(answers.filter((a) => a[0] === 25.0625)).toHaveLength(3);
    expect(answers.filter((a) => a[1] === "busy: conversion in progress")).toHaveLength(17);
    expect(answers).toHaveLength(20);
  });

  it("starts anew when a pending conversion's timer was lost", () => {
    vi.useFakeTimers();
    const log = bus(scratchpad(0x91, 0x01));
    const sensor = createDs18b20({ pin: "D4" });
    const first = vi.fn();
    sensor.read(first);
    vi.clearAllTimers(); // the conversion's timer never runs
    vi.advanceTimersByTime(2900);
    const busy = vi.fn();
    sensor.read(busy);
    expect(busy).toHaveBeenCalledWith(undefined, "busy: conversion in progress");
    vi.advanceTimersByTime(100);
    const next = vi.fn();
    sensor.read(next);
    vi.advanceTimersByTime(750);
    expect(next).toHaveBeenCalledWith(25.0625);
    expect(first).not.toHaveBeenCalled();
    expect(log.conversions).toBe(2);
  });

  it("publishes a real 85.0 C (byte 6 = 0x10), drops the power-on value (byte 6 = 0x0C)", () => {
    vi.useFakeTimers();
    bus(scratchpad(0x50, 0x05, 0x10));
    const real = vi.fn();
    createDs18b20({ pin: "D4" }).read(real);
    vi.advanceTimersByTime(750);
    expect(real).toHaveBeenCalledWith(85);

    bus(scratchpad(0x50, 0x05, 0x0c));
    const powerOn = vi.fn();
    createDs18b20({ pin: "D4" }).read(powerOn);
    vi.advanceTimersByTime(750);
    expect(powerOn).toHaveBeenCalledWith(undefined, "power-on value 85 C (no conversion)");
  });
});
