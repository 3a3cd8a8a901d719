import { describe, expect, it } from "vitest";
import { Series } from "../../tools/watch/series";

describe("chart series", () => {
  it("keeps readings in time order, a late one in its place", () => {
    const s = new Series(100);
    for (const t of [10, 20, 40, 30, 50]) s.add(t, t / 10);
    expect(s.points(100)).toEqual({ t: [10, 20, 30, 40, 50], v: [1, 2, 3, 4, 5] });
  });

  it("keeps at most its capacity, dropping the oldest", () => {
    const s = new Series(1000);
    for (let t = 0; t < 5000; t++) s.add(t, 0);
    expect(s.size).toBe(1000);
    const p = s.points(10_000);
    expect(p.t.length).toBe(1000);
    expect(p.t[0]).toBe(4000);
  });

  it("downsamples to about two points a bucket and keeps every spike", () => {
    const s = new Series(100_000);
    // Three days at 10 s, a flat 20 degrees with one spike and one dip.
    for (let i = 0; i < 25_920; i++) s.add(1_760_000_000 + i * 10, i === 7000 ? 35 : i === 20000 ? 5 : 20);
    const p = s.points(400);
    expect(p.t.length).toBeLessThanOrEqual(800);
    expect(Math.max(...p.v)).toBe(35);
    expect(Math.min(...p.v)).toBe(5);
    expect([...p.t].sort((a, b) => a - b)).toEqual(p.t);
    expect(p.t[0]).toBe(1_760_000_000);
    expect(p.t[p.t.length - 1]).toBe(1_760_000_000 + 25_919 * 10);
  });

  it("gives a time range at full detail when it is small enough", () => {
    const s = new Series(10_000);
    for (let t = 0; t < 10_000; t++) s.add(t, t % 7);
    const p = s.points(2000, 100, 199);
    expect(p.t).toEqual(Array.from({ length: 100 }, (_, i) => 100 + i));
  });
});
