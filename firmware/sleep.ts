/**
 * Deep sleep per chip (boards/<name>.json `chip`), for battery mode (SLEEP_MS). RAM is lost in a
 * deep sleep; the wake is a fresh boot that finds the store, the boot counter and seq in flash.
 */

export interface DeepSleep {
  /** Sleeps `ms` and wakes as a fresh boot; does not return on the device. */
  sleep(ms: number): void;
  /** Why this boot happened, for the console. */
  wakeCause(): string;
}

/** ESP32.getWakeupCause() values (esp_sleep_wakeup_cause_t) that can end a deep sleep. */
const ESP32_CAUSES: Record<number, string> = { 2: "pin (EXT0)", 3: "pins (EXT1)", 4: "timer", 5: "touchpad", 6: "ULP" };

/** `"chip": "esp32"`: its RTC timer wakes it; 0 is any start that is not a wake (power-on, reset, watchdog). */
export const esp32Sleep: DeepSleep = {
  sleep: (ms) => ESP32.deepSleep(ms * 1000),
  wakeCause() {
    const cause = ESP32.getWakeupCause();
    return cause ? ESP32_CAUSES[cause] || "cause " + cause : "power-on, reset or watchdog (not a wake)";
  },
};

/**
 * Marks a sleep on the Linux build: E.reboot() ends the interpreter (exit code 1), and whatever
 * runs it (npm start, the tests) starts it again after the sleep, as the RTC timer would.
 */
const SLEPT = ".slept";

/** `"chip": "linux"`. */
export const linuxSleep: DeepSleep = {
  sleep(ms) {
    require("Storage").write(SLEPT, "" + ms);
    E.reboot();
  },
  wakeCause() {
    const flash = require("Storage");
    if (flash.read(SLEPT) === undefined) return "power-on or reset (not a wake)";
    flash.erase(SLEPT);
    return "timer";
  },
};
