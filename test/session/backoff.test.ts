import { describe, expect, it } from "vitest";
import { backoffDelay, type BackoffOptions } from "../../src/session/backoff";
import { seededRandom } from "./harness";

describe("backoff with full jitter", () => {
  const options = { baseMs: 1000, capMs: 60000, minMs: 100 };

  /** Retries in a row, counted as the session counts them; reset() is a connection that lasted. */
  function createBackoff(o: BackoffOptions, random: () => number) {
    let failures = 0;
    return {
      next: (long: boolean) => backoffDelay(o, failures++, long, random),
      reset: () => (failures = 0),
    };
  }

  it("keeps each delay within [min, min(cap, base * 2^n)] for a seeded random source", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const b = createBackoff(options, seededRandom(seed));
      for (let n = 0; n < 12; n++) {
        const d = b.next(false);
        expect(d).toBeGreaterThanOrEqual(100);
        expect(d).toBeLessThanOrEqual(Math.min(60000, 1000 * 2 ** n));
      }
    }
  });

  it("spreads delays (jitter) rather than repeating the ceiling", () => {
    const b = createBackoff(options, seededRandom(7));
    for (let n = 0; n < 8; n++) b.next(false);
    const delays = Array.from({ length: 50 }, () => b.next(false));
    expect(new Set(delays).size).toBeGreaterThan(40);
    expect(Math.max(...delays)).toBeLessThanOrEqual(60000);
  });

  it("waits between half the cap and the cap after a refusal that retrying cannot fix", () => {
    const b = createBackoff(options, seededRandom(3));
    for (let i = 0; i < 20; i++) {
      const d = b.next(true);
      expect(d).toBeGreaterThanOrEqual(30000);
      expect(d).toBeLessThanOrEqual(60000);
    }
  });

  it("starts from the first ceiling again after reset()", () => {
    const b = createBackoff(options, () => 0.999);
    for (let n = 0; n < 10; n++) b.next(false);
    expect(b.next(false)).toBe(59940);
    b.reset();
    expect(b.next(false)).toBe(999);
  });
});
