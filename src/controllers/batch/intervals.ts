// Sets of completion indexes in the compressed text form Indexed Jobs use in
// their status ("1,3-5,7"): sorted, non-overlapping, inclusive ranges.

export interface Range { first: number; last: number }

export class Indexes {
  readonly ranges: readonly Range[];

  constructor(ranges: readonly Range[] = []) {
    this.ranges = ranges;
  }

  /**
   * Parse "1,3-5"; ranges starting at or past `completions` are dropped and
   * ranges reaching past it are cut. Malformed pieces are skipped.
   */
  static parse(text: string | undefined | null, completions: number): Indexes {
    if (!text) return new Indexes();
    const out: Range[] = [];
    for (const piece of text.split(',')) {
      const [a, b] = piece.split('-');
      const first = toInt(a);
      if (first === undefined) continue;
      if (first >= completions) break;
      let last = first;
      if (b !== undefined) {
        const l = toInt(b);
        if (l === undefined) continue;
        last = Math.min(l, completions - 1);
      }
      const prev = out[out.length - 1];
      if (prev && prev.last === first - 1) prev.last = last;
      else out.push({ first, last });
    }
    return new Indexes(out);
  }

  /** This set plus the given indexes. */
  with(indexes: Iterable<number>): Indexes {
    const sorted = [...new Set(indexes)].sort((x, y) => x - y);
    return this.merge(new Indexes(sorted.map((i) => ({ first: i, last: i }))));
  }

  /** The union of two sets. */
  merge(other: Indexes): Indexes {
    const all = [...this.ranges, ...other.ranges].sort((x, y) => x.first - y.first);
    const out: Range[] = [];
    for (const r of all) {
      const prev = out[out.length - 1];
      if (!prev || r.first > prev.last + 1) out.push({ first: r.first, last: r.last });
      else if (r.last > prev.last) prev.last = r.last;
    }
    return new Indexes(out);
  }

  has(i: number): boolean {
    let lo = 0, hi = this.ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.ranges[mid] as Range).last >= i) hi = mid; else lo = mid + 1;
    }
    return hi < this.ranges.length && (this.ranges[hi] as Range).first <= i;
  }

  get total(): number {
    let n = 0;
    for (const r of this.ranges) n += r.last - r.first + 1;
    return n;
  }

  get size(): number { return this.ranges.length; }

  /** "1,3-5": two adjacent indexes are written "3,4", longer runs "3-5". */
  toString(): string {
    return this.ranges.map((r) => r.last === r.first ? `${r.first}` : r.last === r.first + 1 ? `${r.first},${r.last}` : `${r.first}-${r.last}`).join(',');
  }
}

function toInt(s: string | undefined): number | undefined {
  if (s === undefined || !/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}
