/**
 * A device's readings for the chart: kept sorted by time and bounded (the oldest go first), and
 * downsampled by min/max per time bucket, so a spike survives and the page draws a few hundred
 * points however many days are kept.
 */

export interface Points {
  /** Unix seconds, ascending. */
  t: number[];
  /** Degrees C. */
  v: number[];
}

export class Series {
  private t: number[] = [];
  private v: number[] = [];

  constructor(private readonly capacity: number) {}

  get size(): number {
    return Math.min(this.t.length, this.capacity);
  }

  add(t: number, v: number): void {
    const n = this.t.length;
    if (n === 0 || t >= this.t[n - 1]) {
      this.t.push(t);
      this.v.push(v);
    } else {
      // Late readings (their own time earlier than the last) go in their place.
      const i = upperBound(this.t, t);
      this.t.splice(i, 0, t);
      this.v.splice(i, 0, v);
    }
    // Dropping in batches keeps adding O(1) amortised.
    const excess = this.t.length - this.capacity;
    if (excess > Math.max(1, this.capacity >> 4) || (excess > 0 && this.capacity < 16)) {
      this.t.splice(0, excess);
      this.v.splice(0, excess);
    }
  }

  /** Points with from <= t <= to, at most about 2 x `buckets`. */
  points(buckets: number, from = -Infinity, to = Infinity): Points {
    const start = Math.max(lowerBound(this.t, from), this.t.length - this.capacity);
    const end = upperBound(this.t, to);
    const out: Points = { t: [], v: [] };
    if (end <= start) return out;
    const push = (i: number) => {
      out.t.push(this.t[i]);
      out.v.push(this.v[i]);
    };
    if (end - start <= 2 * buckets) {
      for (let i = start; i < end; i++) push(i);
      return out;
    }
    const t0 = this.t[start];
    const width = (this.t[end - 1] - t0) / buckets || 1;
    let i = start;
    while (i < end) {
      const bucketEnd = t0 + width * (Math.floor((this.t[i] - t0) / width) + 1);
      let min = i;
      let max = i;
      let j = i;
      for (; j < end && this.t[j] < bucketEnd; j++) {
        if (this.v[j] < this.v[min]) min = j;
        if (this.v[j] > this.v[max]) max = j;
      }
      if (j === i) j = i + 1;
      push(Math.min(min, max));
      if (max !== min) push(Math.max(min, max));
      i = j;
    }
    return out;
  }
}

/** First index with t[i] >= x. */
function lowerBound(t: number[], x: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with t[i] > x. */
function upperBound(t: number[], x: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
