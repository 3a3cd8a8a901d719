import { describe, expect, it } from "vitest";
import { DeliveryAudit, type AuditInput } from "../../tools/watch/audit";

const T0 = 1_760_000_000;

/** Readings of `boot` for each seq, taken 10 s apart and arriving 1 s after they were taken. */
function readings(boot: number, seqs: number[], at = T0): AuditInput[] {
  return seqs.map((seq, i) => ({ seq, boot, time: at + i * 10, arrival: at + i * 10 + 1 }));
}

function audit(inputs: AuditInput[], lateAfterS = 30): DeliveryAudit {
  const a = new DeliveryAudit({ lateAfterS });
  for (const r of inputs) a.add(r);
  return a;
}

const ranges = (a: DeliveryAudit) => a.summary().gaps.map((g) => [g.from, g.to]);

describe("delivery audit", () => {
  it("counts an unbroken run as received with nothing missing", () => {
    const s = audit(readings(1, [1, 2, 3, 4, 5])).summary();
    expect(s).toMatchObject({
      received: 5,
      missing: 0,
      duplicates: 0,
      outOfOrder: 0,
      late: 0,
      undated: 0,
      runs: 1,
      gapCount: 0,
    });
    expect(s.boots).toMatchObject([{ boot: 1, firstSeq: 1, lastSeq: 5, received: 5, missing: 0 }]);
  });

  it("lists gaps as ranges, most recent first", () => {
    const a = audit(readings(1, [1, 2, 5, 6, 7, 9, 20]));
    expect(ranges(a)).toEqual([
      [10, 19],
      [8, 8],
      [3, 4],
    ]);
    expect(a.summary()).toMatchObject({ received: 7, missing: 13, gapCount: 3 });
    expect(a.summary().boots[0].missing).toBe(13);
  });

  it("audits the first run from its first seq seen, since the watcher joined part-way", () => {
    const s = audit(readings(3, [500, 501, 503])).summary();
    expect(s.missing).toBe(1);
    expect(s.gaps).toMatchObject([{ from: 502, to: 502, afterBoot: 3, beforeBoot: 3 }]);
  });

  it("counts a duplicate once, without counting it received, and lists it", () => {
    const a = audit(readings(1, [1, 2, 3, 3, 4]));
    const s = a.summary();
    expect(s).toMatchObject({ received: 4, duplicates: 1, missing: 0, outOfOrder: 0 });
    expect(s.duplicatesList).toMatchObject([{ seq: 3, boot: 1 }]);
    expect(s.boots[0].duplicates).toBe(1);
  });

  it("says what each reading was", () => {
    const a = new DeliveryAudit({ lateAfterS: 30 });
    const [r1, r2, r3] = readings(1, [1, 3, 2]);
    expect(a.add(r1).verdict).toBe("new");
    expect(a.add(r2).verdict).toBe("new");
    expect(a.add(r3).verdict).toBe("out-of-order");
    expect(a.add(r3).verdict).toBe("duplicate");
  });

  it("counts a reading filling a gap as out of order and closes the gap", () => {
    const a = audit(readings(1, [1, 2, 4, 5, 3]));
    expect(a.summary()).toMatchObject({ received: 5, missing: 0, outOfOrder: 1, duplicates: 0 });
    expect(a.summary().outOfOrderList).toMatchObject([{ seq: 3 }]);
  });

  it("keeps counting a gap across boots when seq continues (newer firmware)", () => {
    const a = audit([...readings(1, [1, 2, 3]), ...readings(2, [6, 7], T0 + 100)]);
    const s = a.summary();
    expect(s).toMatchObject({ received: 5, missing: 2, runs: 1 });
    expect(s.gaps).toMatchObject([{ from: 4, to: 5, afterBoot: 1, beforeBoot: 2 }]);
    // A gap between boots belongs to neither boot's own count.
    expect(s.boots.map((b) => [b.boot, b.missing, b.firstSeq, b.lastSeq])).toEqual([
      [2, 0, 6, 7],
      [1, 0, 1, 3],
    ]);
  });

  it("starts a new run when a new boot numbers from 1 again, and expects it from 1", () => {
    const a = audit([...readings(1, [1, 2, 3, 4]), ...readings(2, [3, 4, 5], T0 + 100)]);
    const s = a.summary();
    expect(s).toMatchObject({ runs: 2, received: 7, duplicates: 0, missing: 2 });
    expect(s.gaps).toMatchObject([{ run: 1, from: 1, to: 2, afterBoot: null, beforeBoot: 2 }]);
  });

  it("treats seq back to 1 in the same boot (no boot field, or a wrapped counter) as a new run", () => {
    const a = new DeliveryAudit({ lateAfterS: 30 });
    for (const r of readings(0, [1, 2, 3, 4])) a.add(r);
    const restart = a.add({ seq: 1, boot: 0, arrival: T0 + 100 });
    expect(restart).toMatchObject({ verdict: "new", newRun: true });
    for (const seq of [2, 4]) a.add({ seq, boot: 0, arrival: T0 + 100 + seq });
    expect(a.summary()).toMatchObject({ runs: 2, received: 7, duplicates: 0, missing: 1 });
    expect(ranges(a)).toEqual([[3, 3]]);
  });

  it("treats a counter wrapping to 0 as a new run", () => {
    const a = audit([...readings(1, [4294967294, 4294967295]), ...readings(1, [0, 1, 2], T0 + 20)]);
    expect(a.summary()).toMatchObject({ runs: 2, received: 5, duplicates: 0, missing: 0, outOfOrder: 0 });
  });

  it("files a late reading of an older boot with its own run", () => {
    const a = audit([
      ...readings(1, [1, 2, 3]),
      ...readings(2, [1, 2], T0 + 100),
      { seq: 4, boot: 1, arrival: T0 + 200 },
    ]);
    const s = a.summary();
    expect(s).toMatchObject({ runs: 2, received: 6, missing: 0, duplicates: 0 });
    expect(s.boots.find((b) => b.boot === 1)).toMatchObject({ run: 0, lastSeq: 4, received: 4 });
  });

  it("treats a reading without boot as boot 0", () => {
    const s = audit([{ seq: 1, boot: 0, arrival: T0 }]).summary();
    expect(s.boots).toMatchObject([{ boot: 0, received: 1 }]);
  });

  it("flags readings delivered more than the threshold after their time", () => {
    const a = new DeliveryAudit({ lateAfterS: 30 });
    expect(a.add({ seq: 1, boot: 1, time: T0, arrival: T0 + 30 })).toMatchObject({ late: false, delay: 30 });
    expect(a.add({ seq: 2, boot: 1, time: T0 + 10, arrival: T0 + 3610 })).toMatchObject({ late: true, delay: 3600 });
    const s = a.summary();
    expect(s).toMatchObject({ late: 1, undated: 0 });
    expect(s.lateList).toMatchObject([{ seq: 2, delay: 3600 }]);
    expect(s.boots[0]).toMatchObject({ late: 1, maxDelay: 3600 });
  });

  it("cannot judge lateness without time, and says so", () => {
    const a = new DeliveryAudit({ lateAfterS: 0 });
    expect(a.add({ seq: 1, boot: 0, arrival: T0 + 1000 })).toMatchObject({ late: false, delay: undefined });
    expect(a.summary()).toMatchObject({ late: 0, undated: 1 });
  });

  it("stays bounded: old ranges are dropped but their missing seqs still count", () => {
    const a = new DeliveryAudit({ lateAfterS: 30, maxRanges: 10, maxListed: 5 });
    // Every other seq lost: 1000 ranges' worth of gaps.
    for (let seq = 1; seq <= 2000; seq += 2) a.add({ seq, boot: 1, arrival: T0 + seq });
    const s = a.summary();
    expect(s).toMatchObject({ received: 1000, missing: 999 });
    expect(s.gaps).toHaveLength(5);
    expect(s.gaps[0]).toMatchObject({ from: 1998, to: 1998 });
    expect(s.gapCount).toBeLessThanOrEqual(10);
    // A seq from the forgotten part is counted, not re-opened as a new stretch of gaps.
    expect(a.add({ seq: 2, boot: 1, arrival: T0 + 3000 }).verdict).toBe("out-of-order");
    expect(a.summary().missing).toBe(999);
  });

  it("keeps its lists bounded", () => {
    const a = new DeliveryAudit({ lateAfterS: 30, maxListed: 3 });
    for (let i = 0; i < 10; i++) a.add({ seq: 1, boot: 1, arrival: T0 + i });
    const s = a.summary();
    expect(s.duplicates).toBe(9);
    expect(s.duplicatesList).toHaveLength(3);
  });
});
