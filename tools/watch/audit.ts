/**
 * The delivery audit of one device, from each reading's `seq`, `boot` and `time`: pure (the caller
 * passes arrival times), bounded in memory, no I/O.
 *
 * A *run* is one stretch of seq numbering. Newer firmware keeps `seq` across restarts (each start
 * bumps `boot`), so one run spans many boots and a gap between two boots is still a gap. Older
 * firmware numbers from 1 again at every start; that starts a new run, recognised by:
 * - a boot number never seen before, newer than the run's, whose seq is not above the run's highest;
 * - or, in the same boot (firmware without `boot` reports boot 0 forever, and a counter may wrap),
 *   seq 0 or 1 after higher seqs. With one reading in flight at a time, seq 1 cannot legitimately
 *   arrive after seq 2 of the same run.
 * The first run the watcher sees is joined part-way: it is audited from its first seq seen, not 1.
 */

export interface AuditInput {
  seq: number;
  /** 0 when the payload had none (older firmware). */
  boot: number;
  /** When the reading was taken, Unix seconds; undefined when the payload had none. */
  time?: number;
  /** When it arrived here, Unix seconds. */
  arrival: number;
}

export type Verdict = "new" | "duplicate" | "out-of-order";

export interface AuditResult {
  verdict: Verdict;
  /** Seconds between `time` and arrival; undefined without `time`. */
  delay?: number;
  late: boolean;
  /** This reading began a new run (seq numbering started again). */
  newRun: boolean;
}

export interface AuditOptions {
  /** A reading whose arrival is more than this after its `time` is late. */
  lateAfterS: number;
  /** Received seq ranges kept across all runs; the oldest are summarised beyond it. */
  maxRanges?: number;
  /** Entries kept in each list (gaps, duplicates, out of order, late, boots). */
  maxListed?: number;
}

/** Seqs never received: `from`..`to` inclusive, between readings of `afterBoot` and `beforeBoot`. */
export interface Gap {
  run: number;
  from: number;
  to: number;
  count: number;
  /** null when the gap is at the start of a run (seqs from 1 not seen). */
  afterBoot: number | null;
  beforeBoot: number;
}

export interface SeqNote {
  seq: number;
  boot: number;
  arrival: number;
  delay?: number;
}

export interface BootAudit {
  run: number;
  boot: number;
  firstSeq: number;
  lastSeq: number;
  received: number;
  /** Seqs missing between two readings of this boot (gaps across boots are only in `gaps`). */
  missing: number;
  duplicates: number;
  outOfOrder: number;
  late: number;
  /** Largest delay seen, seconds; undefined without `time`. */
  maxDelay?: number;
}

export interface AuditSummary {
  /** Distinct readings. */
  received: number;
  missing: number;
  duplicates: number;
  outOfOrder: number;
  late: number;
  /** Readings without `time`, whose lateness cannot be judged. */
  undated: number;
  runs: number;
  /** Most recent first; `gapCount` says how many there are in all. */
  gaps: Gap[];
  gapCount: number;
  duplicatesList: SeqNote[];
  outOfOrderList: SeqNote[];
  lateList: SeqNote[];
  /** Most recent first. */
  boots: BootAudit[];
  lateAfterS: number;
}

interface Range {
  lo: number;
  hi: number;
  boot: number;
}

interface Run {
  index: number;
  /** First seq expected: 1 for a run seen from its start, the first seen for the first run. */
  start: number;
  /** Sorted, disjoint; neighbours merge only when they belong to the same boot. */
  ranges: Range[];
  maxSeq: number;
  maxBoot: number;
  /** Missing seqs in ranges dropped to bound memory. */
  trimmedMissing: number;
  trimmed: boolean;
}

type BootStats = Omit<BootAudit, "missing">;

export class DeliveryAudit {
  private readonly lateAfterS: number;
  private readonly maxRanges: number;
  private readonly maxListed: number;
  private runs: Run[] = [];
  /** boot -> index of the latest run it was seen in. */
  private bootRun = new Map<number, number>();
  private boots = new Map<string, BootStats>();
  private rangeCount = 0;
  private counts = { received: 0, duplicates: 0, outOfOrder: 0, late: 0, undated: 0 };
  private duplicatesList: SeqNote[] = [];
  private outOfOrderList: SeqNote[] = [];
  private lateList: SeqNote[] = [];

  constructor(options: AuditOptions) {
    this.lateAfterS = options.lateAfterS;
    this.maxRanges = Math.max(2, options.maxRanges ?? 5000);
    this.maxListed = options.maxListed ?? 20;
  }

  add(reading: AuditInput): AuditResult {
    const { run, newRun } = this.runFor(reading);
    const { seq, boot } = reading;
    let verdict: Verdict;
    if (findRange(run.ranges, seq) >= 0) verdict = "duplicate";
    else if (seq < run.maxSeq || seq < run.start) verdict = "out-of-order";
    else verdict = "new";
    // Below a trimmed run's start the audit has forgotten what arrived: count it, keep no range.
    const forgotten = seq < run.start && run.trimmed;
    if (seq < run.start && !forgotten) run.start = seq;
    if (verdict !== "duplicate" && !forgotten) this.insert(run, seq, boot);
    run.maxSeq = Math.max(run.maxSeq, seq);
    run.maxBoot = Math.max(run.maxBoot, boot);
    this.bootRun.set(boot, run.index);

    const delay = reading.time === undefined ? undefined : reading.arrival - reading.time;
    const late = delay !== undefined && delay > this.lateAfterS;
    const note: SeqNote = { seq, boot, arrival: reading.arrival, delay };
    const stats = this.bootStats(run.index, boot, seq);
    if (verdict === "duplicate") {
      this.counts.duplicates++;
      stats.duplicates++;
      this.note(this.duplicatesList, note);
    } else {
      this.counts.received++;
      stats.received++;
      stats.firstSeq = Math.min(stats.firstSeq, seq);
      stats.lastSeq = Math.max(stats.lastSeq, seq);
      if (verdict === "out-of-order") {
        this.counts.outOfOrder++;
        stats.outOfOrder++;
        this.note(this.outOfOrderList, note);
      }
    }
    if (delay === undefined) {
      this.counts.undated++;
    } else {
      stats.maxDelay = Math.max(stats.maxDelay ?? delay, delay);
      if (late) {
        this.counts.late++;
        stats.late++;
        this.note(this.lateList, note);
      }
    }
    return { verdict, delay, late, newRun };
  }

  summary(): AuditSummary {
    const gaps: Gap[] = [];
    let missing = 0;
    const bootMissing = new Map<string, number>();
    for (const run of this.runs) {
      missing += run.trimmedMissing;
      for (const gap of runGaps(run)) {
        missing += gap.count;
        gaps.push(gap);
        if (gap.afterBoot === gap.beforeBoot) {
          const key = run.index + ":" + gap.beforeBoot;
          bootMissing.set(key, (bootMissing.get(key) ?? 0) + gap.count);
        }
      }
    }
    const boots: BootAudit[] = [];
    for (const [key, stats] of this.boots) boots.push({ ...stats, missing: bootMissing.get(key) ?? 0 });
    return {
      ...this.counts,
      missing,
      runs: this.runs.length,
      gaps: gaps.reverse().slice(0, this.maxListed),
      gapCount: gaps.length,
      duplicatesList: [...this.duplicatesList].reverse(),
      outOfOrderList: [...this.outOfOrderList].reverse(),
      lateList: [...this.lateList].reverse(),
      boots: boots.reverse(),
      lateAfterS: this.lateAfterS,
    };
  }

  private runFor(reading: AuditInput): { run: Run; newRun: boolean } {
    const current = this.runs[this.runs.length - 1];
    if (!current) return { run: this.startRun(reading.seq), newRun: true };
    const known = this.bootRun.get(reading.boot);
    if (known !== undefined) {
      const run = this.runs.find((r) => r.index === known) ?? current;
      const restarted = run === current && reading.seq <= 1 && current.maxSeq > 1;
      return restarted ? { run: this.startRun(reading.seq), newRun: true } : { run, newRun: false };
    }
    if (reading.seq > current.maxSeq || reading.boot < current.maxBoot) return { run: current, newRun: false };
    return { run: this.startRun(Math.min(reading.seq, 1)), newRun: true };
  }

  private startRun(start: number): Run {
    const run: Run = {
      index: this.runs.length ? this.runs[this.runs.length - 1].index + 1 : 0,
      start,
      ranges: [],
      maxSeq: start - 1,
      maxBoot: 0,
      trimmedMissing: 0,
      trimmed: false,
    };
    this.runs.push(run);
    return run;
  }

  private insert(run: Run, seq: number, boot: number): void {
    const ranges = run.ranges;
    // Insertion point: the first range starting above seq (almost always the end).
    let i = ranges.length;
    while (i > 0 && ranges[i - 1].lo > seq) i--;
    const before = ranges[i - 1];
    const after = ranges[i];
    const joinsBefore = before !== undefined && before.hi === seq - 1 && before.boot === boot;
    const joinsAfter = after !== undefined && after.lo === seq + 1 && after.boot === boot;
    if (joinsBefore && joinsAfter) {
      before.hi = after.hi;
      ranges.splice(i, 1);
      this.rangeCount--;
    } else if (joinsBefore) before.hi = seq;
    else if (joinsAfter) after.lo = seq;
    else {
      ranges.splice(i, 0, { lo: seq, hi: seq, boot });
      this.rangeCount++;
      this.trim();
    }
  }

  /** Drops the oldest ranges (oldest run first), keeping the count of the seqs they showed missing. */
  private trim(): void {
    while (this.rangeCount > this.maxRanges) {
      const run = this.runs[0];
      if (run.ranges.length <= 1 && this.runs.length > 1) {
        this.runs.shift();
        this.rangeCount -= run.ranges.length;
        // The run's missing count lives on in the next run's, so totals stay right.
        this.runs[0].trimmedMissing += run.trimmedMissing + runGaps(run).reduce((n, g) => n + g.count, 0);
        continue;
      }
      const [first, second] = run.ranges;
      run.trimmedMissing += first.lo - run.start + (second ? second.lo - first.hi - 1 : 0);
      run.ranges.shift();
      this.rangeCount--;
      run.start = second ? second.lo : run.maxSeq + 1;
      run.trimmed = true;
    }
  }

  private bootStats(run: number, boot: number, seq: number): BootStats {
    const key = run + ":" + boot;
    let stats = this.boots.get(key);
    if (!stats) {
      stats = { run, boot, firstSeq: seq, lastSeq: seq, received: 0, duplicates: 0, outOfOrder: 0, late: 0 };
      this.boots.set(key, stats);
      if (this.boots.size > this.maxListed) this.boots.delete(this.boots.keys().next().value as string);
    }
    return stats;
  }

  private note(list: SeqNote[], note: SeqNote): void {
    list.push(note);
    if (list.length > this.maxListed) list.shift();
  }
}

function findRange(ranges: Range[], seq: number): number {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid].hi < seq) lo = mid + 1;
    else if (ranges[mid].lo > seq) hi = mid - 1;
    else return mid;
  }
  return -1;
}

function runGaps(run: Run): Gap[] {
  const gaps: Gap[] = [];
  let expected = run.start;
  let boot: number | null = null;
  for (const range of run.ranges) {
    if (range.lo > expected) {
      gaps.push({
        run: run.index,
        from: expected,
        to: range.lo - 1,
        count: range.lo - expected,
        afterBoot: boot,
        beforeBoot: range.boot,
      });
    }
    expected = range.hi + 1;
    boot = range.boot;
  }
  return gaps;
}
