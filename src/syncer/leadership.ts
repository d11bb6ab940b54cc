// Several kubevisor replicas (sharing their clusters' storage, e.g. one etcd)
// must not all sync the same clusters: per host namespace, a Lease on the host
// elects one replica, and only it runs the ClusterSyncers of that namespace.
// One elector per (host, namespace) serves every cluster synced there.
import { LeaderElector, type HostConnection } from './host/index.ts';

export interface LeadershipTiming {
  readonly leaseDurationSeconds?: number;
  readonly renewDeadlineSeconds?: number;
  readonly retryPeriodSeconds?: number;
}

export class Leadership {
  private readonly elector: LeaderElector;
  private leading = false;
  private readonly waiters = new Set<{ want: boolean; resolve: () => void }>();
  private holders = 0;
  private readonly onIdle: () => void;

  constructor(conn: HostConnection, namespace: string, lease: string, identity: string, timing: LeadershipTiming, onIdle: () => void) {
    this.onIdle = onIdle;
    this.elector = new LeaderElector(conn, {
      namespace, name: lease, identity, ...timing,
      onStartedLeading: () => this.set(true),
      onStoppedLeading: () => this.set(false),
    });
  }

  get isLeader(): boolean {
    return this.leading;
  }

  private set(leading: boolean): void {
    this.leading = leading;
    for (const w of [...this.waiters]) if (w.want === leading) { this.waiters.delete(w); w.resolve(); }
  }

  /** Take part in the election (the first holder starts it); returns the release. */
  hold(): () => Promise<void> {
    if (this.holders++ === 0) this.elector.start();
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      if (--this.holders === 0) {
        await this.elector.stop();
        this.onIdle();
      }
    };
  }

  /** Resolves once this replica leads (`want` true) or no longer leads (false), or `signal` aborts. */
  until(want: boolean, signal: AbortSignal): Promise<void> {
    if (this.leading === want || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const w = { want, resolve: () => { signal.removeEventListener('abort', onAbort); resolve(); } };
      const onAbort = () => { this.waiters.delete(w); resolve(); };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(w);
    });
  }
}
