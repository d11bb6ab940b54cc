// A bounded queue of writes, grouped in lanes (one per involved object) so
// that what is said about one object is written in order, while up to
// `concurrency` lanes write at once: writes started in the same turn of the
// event loop share one storage commit. Nothing runs while it is empty.

export interface LaneQueueOptions<T> {
  /** Writes in flight at most. */
  concurrency: number;
  /** Writes waiting at most; beyond that new ones are dropped. */
  maxQueued: number;
  /** Perform one write. It should not reject; a rejection counts as done. */
  write(item: T): Promise<void>;
  /** Fold `next` into `tail`, the last write waiting in the same lane, if both change the same thing. */
  merge(tail: T, next: T): boolean;
  /** Called once at the end of a burst of drops (when the queue is down to half its bound). */
  dropped(count: number): void;
}

interface Entry<T> {
  item: T;
  waiters: (() => void)[];
}

interface Lane<T> {
  key: string;
  waiting: Entry<T>[];
  busy: boolean;
  ready: boolean;
}

export class LaneQueue<T> {
  private readonly opts: LaneQueueOptions<T>;
  private readonly lanes = new Map<string, Lane<T>>();
  /** Lanes with writes waiting and none in flight, oldest first (from `head`). */
  private ready: Lane<T>[] = [];
  private head = 0;
  private readonly inFlight = new Set<Entry<T>>();
  private queued = 0;
  private droppedInBurst = 0;

  constructor(opts: LaneQueueOptions<T>) {
    this.opts = opts;
  }

  /** Writes waiting (not yet started). */
  get size(): number {
    return this.queued;
  }

  /** Queue `item` in `lane`; settles once it is written or dropped. */
  push(lane: string, item: T): Promise<void> {
    let l = this.lanes.get(lane);
    const tail = l?.waiting.at(-1);
    if (tail && this.opts.merge(tail.item, item)) return new Promise((r) => tail.waiters.push(r));
    if (this.queued >= this.opts.maxQueued) {
      this.droppedInBurst++;
      return Promise.resolve();
    }
    if (!l) {
      l = { key: lane, waiting: [], busy: false, ready: false };
      this.lanes.set(lane, l);
    }
    const entry: Entry<T> = { item, waiters: [] };
    const done = new Promise<void>((r) => entry.waiters.push(r));
    l.waiting.push(entry);
    this.queued++;
    this.markReady(l);
    // Start at once when there is room, as a direct call would: the write reaches storage in
    // this turn, with whatever else this turn writes (one commit).
    this.pump();
    return done;
  }

  /** Settles when every write queued so far has been done or dropped. */
  flush(): Promise<void> {
    const waits: Promise<void>[] = [];
    const wait = (e: Entry<T>) => waits.push(new Promise((r) => e.waiters.push(r)));
    for (const e of this.inFlight) wait(e);
    for (const l of this.lanes.values()) for (const e of l.waiting) wait(e);
    return waits.length === 0 ? Promise.resolve() : Promise.all(waits).then(() => undefined);
  }

  /** Drop every write not yet started (their promises settle now). */
  clear(): void {
    for (const l of this.lanes.values()) {
      for (const e of l.waiting) settle(e);
      this.queued -= l.waiting.length;
      l.waiting = [];
      if (!l.busy) this.lanes.delete(l.key);
    }
    this.ready = [];
    this.head = 0;
  }

  private markReady(l: Lane<T>): void {
    if (l.busy || l.ready || l.waiting.length === 0) return;
    l.ready = true;
    this.ready.push(l);
  }

  private pump(): void {
    while (this.inFlight.size < this.opts.concurrency && this.head < this.ready.length) {
      const l = this.ready[this.head++];
      l.ready = false;
      const e = l.waiting.shift();
      if (!e) continue;
      this.queued--;
      l.busy = true;
      this.inFlight.add(e);
      const finish = () => this.finished(l, e);
      this.opts.write(e.item).then(finish, finish);
    }
    if (this.head > 1024 && this.head * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.head);
      this.head = 0;
    }
  }

  private finished(l: Lane<T>, e: Entry<T>): void {
    this.inFlight.delete(e);
    l.busy = false;
    if (l.waiting.length > 0) this.markReady(l);
    else if (this.lanes.get(l.key) === l) this.lanes.delete(l.key);
    settle(e);
    if (this.droppedInBurst > 0 && this.queued <= this.opts.maxQueued / 2) {
      const n = this.droppedInBurst;
      this.droppedInBurst = 0;
      this.opts.dropped(n);
    }
    this.pump();
  }
}

function settle<T>(e: Entry<T>): void {
  for (const r of e.waiters) r();
  e.waiters = [];
}
