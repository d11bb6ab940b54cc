// Leader election among kubevisor replicas through a coordination.k8s.io/v1
// Lease in the host namespace, with upstream's timing: a lease lasts 15 s,
// the leader renews every 2 s and gives up if it could not renew for 10 s;
// candidates retry every 2 s (jittered) and take the lease once its holder
// stopped renewing for a whole lease duration, or released it.
//
// Expiry is judged by this process's clock, from when it last saw the lease
// change, never by comparing renewTime with our clock: replicas' clocks may
// disagree.

import type { KubeObject } from '../../api/types.ts';
import { sleep } from './backoff.ts';
import type { HostConnection, HostResource } from './connection.ts';
import { HostError, toHostError } from './errors.ts';

export const LEASES: HostResource = { apiVersion: 'coordination.k8s.io/v1', plural: 'leases' };

export interface LeaderElectionOptions {
  /** The host namespace holding the Lease. */
  readonly namespace: string;
  /** The Lease's name. */
  readonly name: string;
  /** This replica, unique among them (e.g. hostname and pid). */
  readonly identity: string;
  /** Whole seconds (the Lease field is an integer). */
  readonly leaseDurationSeconds?: number;
  readonly renewDeadlineSeconds?: number;
  readonly retryPeriodSeconds?: number;
  /** Called when this replica becomes the leader. */
  readonly onStartedLeading: () => void;
  /** Called when it stops being the leader (lost the lease, or `stop()`), before the lease is released. */
  readonly onStoppedLeading: () => void | Promise<void>;
  /** Called whenever the observed holder changes ('' when nobody holds it). */
  readonly onNewLeader?: (identity: string) => void;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export class LeaderElector {
  private readonly conn: HostConnection;
  private readonly o: LeaderElectionOptions;
  private readonly leaseMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private inFlight: Promise<boolean> | undefined;
  private leading = false;
  private lease: Lease | undefined;
  /** The holder's record as last seen, and when (our clock) it last changed. */
  private observedRecord = '';
  private observedAt = 0;
  private observedHolder = '';
  private error: HostError | undefined;

  constructor(conn: HostConnection, opts: LeaderElectionOptions) {
    const lease = opts.leaseDurationSeconds ?? 15;
    const renew = opts.renewDeadlineSeconds ?? 10;
    const retry = opts.retryPeriodSeconds ?? 2;
    if (!(lease > renew && renew > retry && retry > 0)) {
      throw new Error('leader election needs leaseDuration > renewDeadline > retryPeriod > 0');
    }
    if (!Number.isInteger(lease)) throw new Error('a Lease lasts a whole number of seconds');
    this.conn = conn;
    this.o = opts;
    this.leaseMs = lease * 1000;
    this.renewDeadlineMs = renew * 1000;
    this.retryMs = retry * 1000;
  }

  get isLeader(): boolean { return this.leading; }
  /** The holder last seen on the Lease ('' when none). */
  get leader(): string { return this.observedHolder; }
  /** The last failure talking to the host, cleared by the next success. */
  get lastError(): HostError | undefined { return this.error; }

  start(): void {
    if (this.running || this.abort.signal.aborted) return;
    this.running = this.run();
  }

  /** Stop; if leading, call onStoppedLeading and then release the lease so another replica takes over at once. */
  async stop(): Promise<void> {
    if (this.abort.signal.aborted) return;
    this.abort.abort();
    await this.running;
    // An attempt the loop stopped waiting for may still land: let it, so the
    // release below works on the lease as it is.
    await this.inFlight;
    const wasLeading = this.leading;
    this.leading = false;
    if (wasLeading) await this.o.onStoppedLeading();
    await this.release();
  }

  /** One attempt at a time; `stop()` waits for the last one. */
  private attempt(): Promise<boolean> {
    const p = this.tryAcquireOrRenew();
    this.inFlight = p;
    return p;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      // Candidate: try every retry period (jittered) until the lease is ours.
      while (!signal.aborted && !(await this.attempt())) {
        await sleep(this.retryMs * (1 + Math.random() * 0.2), signal);
      }
      // Acquired just as we were told to stop: stop() releases it.
      if (signal.aborted) return;
      this.leading = true;
      this.safely(() => this.o.onStartedLeading());
      // Leader: renew every retry period; lose the lease when renewals fail for renewDeadline.
      let renewed = Date.now();
      while (!signal.aborted) {
        await sleep(this.retryMs, signal);
        if (signal.aborted) return;
        const left = renewed + this.renewDeadlineMs - Date.now();
        const ok = left > 0 && await Promise.race([this.attempt(), sleep(left, signal).then(() => false)]);
        if (signal.aborted) return;
        if (ok) { renewed = Date.now(); continue; }
        if (Date.now() - renewed >= this.renewDeadlineMs || this.observedHolder !== this.o.identity) break;
      }
      this.leading = false;
      this.safely(() => void Promise.resolve(this.o.onStoppedLeading()).catch((e: unknown) => console.error(e)));
    }
  }

  /** One attempt: read the lease; create, take over or renew it if we may. True when we hold it afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    try {
      let current: Lease;
      try {
        current = await this.conn.get<Lease>(LEASES, this.o.namespace, this.o.name);
      } catch (e) {
        if (!(e instanceof HostError && e.notFound)) throw e;
        const created = await this.conn.create<Lease>(LEASES, this.o.namespace, {
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
          metadata: { name: this.o.name, namespace: this.o.namespace },
          spec: this.record(now, undefined),
        });
        this.observe(created);
        this.error = undefined;
        return true;
      }
      this.observe(current);
      const spec = current.spec ?? {};
      const holder = spec.holderIdentity ?? '';
      const mine = holder === this.o.identity;
      const durationMs = (spec.leaseDurationSeconds ?? this.leaseMs / 1000) * 1000;
      if (!mine && holder !== '' && this.observedAt + durationMs > Date.now()) {
        this.error = undefined;
        return false;
      }
      const updated = await this.conn.update<Lease>(LEASES, this.o.namespace, {
        ...current, spec: this.record(now, mine ? spec : { ...spec, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }, mine),
      });
      this.observe(updated);
      this.error = undefined;
      return true;
    } catch (e) {
      const err = toHostError(e);
      // A conflict is a race with another candidate: not an error worth reporting.
      this.error = err.conflict || err.alreadyExists ? undefined : err;
      return false;
    }
  }

  /** The record we write: us as holder, renewed now (acquired now unless renewing). */
  private record(now: Date, old: LeaseSpec | undefined, renewing = false): LeaseSpec {
    const t = microTime(now);
    return {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: this.leaseMs / 1000,
      acquireTime: renewing && old?.acquireTime ? old.acquireTime : t,
      renewTime: t,
      leaseTransitions: old?.leaseTransitions ?? 0,
    };
  }

  private observe(lease: Lease): void {
    this.lease = lease;
    const spec = lease.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity ?? '', spec.renewTime ?? '', spec.acquireTime ?? '', spec.leaseDurationSeconds ?? 0]);
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = Date.now();
    }
    const holder = spec.holderIdentity ?? '';
    if (holder !== this.observedHolder) {
      this.observedHolder = holder;
      const cb = this.o.onNewLeader;
      if (cb) this.safely(() => cb(holder));
    }
  }

  /** Give the lease up (holder cleared), if our last sight of it says it is ours. */
  private async release(): Promise<void> {
    const lease = this.lease;
    if (!lease || lease.spec?.holderIdentity !== this.o.identity) return;
    const t = microTime(new Date());
    try {
      const released = await this.conn.update<Lease>(LEASES, this.o.namespace, {
        ...lease,
        spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: t, renewTime: t },
      });
      this.observe(released);
    } catch (e) {
      // Someone else wrote it meanwhile (then it is not ours), or the host is
      // unreachable (then it expires by itself).
      this.error = toHostError(e);
    }
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      console.error('kubevisor: a leader election callback failed:', e);
    }
  }
}

/** A metav1.MicroTime: RFC 3339 with microseconds. */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
