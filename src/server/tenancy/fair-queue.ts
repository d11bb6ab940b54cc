// Fair dispatch of requests across virtual clusters, in the manner of the API
// server's priority and fairness: at most `limit` requests run at once; past
// that, each cluster waits in a queue of its own and the queues take turns, so a
// cluster flooding the server delays its own requests, not everyone's. Watches,
// which stay open, are not dispatched here (their count is limited per cluster).

export type Release = () => void;

export class FairDispatcher<K> {
  private running = 0;
  /** Clusters with waiting requests, in turn order (a Map iterates in insertion order). */
  private readonly waiting = new Map<K, Array<() => void>>();
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Resolves when the request may run; call the returned function when it is done. */
  acquire(key: K): Promise<Release> | Release {
    if (this.running < this.limit && this.waiting.size === 0) {
      this.running++;
      return this.releaser();
    }
    return new Promise<Release>((resolve) => {
      let q = this.waiting.get(key);
      if (!q) this.waiting.set(key, (q = []));
      q.push(() => resolve(this.releaser()));
      this.dispatch();
    });
  }

  /** Requests running now, and waiting. */
  get stats(): { running: number; waiting: number } {
    let waiting = 0;
    for (const q of this.waiting.values()) waiting += q.length;
    return { running: this.running, waiting };
  }

  private releaser(): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.running--;
      this.dispatch();
    };
  }

  private dispatch(): void {
    while (this.running < this.limit && this.waiting.size > 0) {
      const [key, q] = this.waiting.entries().next().value as [K, Array<() => void>];
      const start = q.shift() as () => void;
      // The cluster goes to the back of the turn order.
      this.waiting.delete(key);
      if (q.length > 0) this.waiting.set(key, q);
      this.running++;
      start();
    }
  }
}
