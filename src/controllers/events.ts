// Events the way upstream's recorder (client-go tools/record) writes them:
// core/v1 Events about an object, correlated first (spam filter, aggregation of
// similar events, count bumps for repeats; see events-correlator.ts), then
// written off the caller's path by a small pool of concurrent writes.

import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../api/types.ts';
import { nowTimestamp } from '../registry/generic/metadata.ts';
import type { ResourceDef } from '../registry/types.ts';
import type { VirtualCluster } from '../server/cluster.ts';
import { EventCorrelator, type CorrelatedEvent, type CorrelatorOptions, type EventType } from './events-correlator.ts';
import { LaneQueue } from './events-queue.ts';

export type { EventType } from './events-correlator.ts';

export interface EventRecorderOptions extends CorrelatorOptions {
  /** Event writes in flight at once (default 16). */
  concurrency?: number;
  /** Event writes waiting at most; more are dropped, as upstream's broadcaster drops past its 1000 (default 10,000). */
  maxQueued?: number;
}

export class EventRecorder {
  private readonly vc: VirtualCluster;
  private readonly now: () => Date;
  private readonly correlator: EventCorrelator;
  private readonly queue: LaneQueue<CorrelatedEvent>;
  private closed = false;

  constructor(vc: VirtualCluster, now: () => Date, opts: EventRecorderOptions = {}) {
    this.vc = vc;
    this.now = now;
    this.correlator = new EventCorrelator(opts);
    this.queue = new LaneQueue<CorrelatedEvent>({
      concurrency: opts.concurrency ?? 16,
      maxQueued: opts.maxQueued ?? 10_000,
      write: (ev) => this.write(ev),
      merge: mergeInto,
      dropped: (n) => console.error(`kubevisor: cluster ${vc.name}: dropped ${n} events, too many were waiting to be written`),
    });
    vc.whenClosed(() => {
      this.closed = true;
      this.queue.clear();
    });
  }

  /**
   * Record that `component` (on `host`) saw `reason` on `obj`. The event is
   * correlated and queued now; the promise settles once it is written or
   * dropped, and never rejects: events are best effort, callers need not wait.
   */
  record(obj: KubeObject, type: EventType, reason: string, message: string, component: string, host?: string, fieldPath?: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    const meta = obj.metadata;
    const ev = this.correlator.correlate({
      involvedObject: {
        kind: obj.kind ?? '', namespace: meta.namespace, name: meta.name ?? '', uid: meta.uid,
        apiVersion: obj.apiVersion ?? '', resourceVersion: meta.resourceVersion, ...(fieldPath ? { fieldPath } : {}),
      },
      source: host ? { component, host } : { component },
      type, reason, message, at: this.now(),
    });
    if (!ev) return Promise.resolve();
    // One lane per involved object keeps what is said about it in order.
    const lane = meta.uid ?? `${obj.kind}/${meta.namespace ?? ''}/${meta.name ?? ''}`;
    return this.queue.push(lane, ev);
  }

  /** Settles when every event recorded so far has been written or dropped (for tests and shutdown). */
  flush(): Promise<void> {
    return this.queue.flush();
  }

  /** Events waiting to be written. */
  get queued(): number {
    return this.queue.size;
  }

  private async write(ev: CorrelatedEvent): Promise<void> {
    if (this.closed) return;
    const def = this.vc.registry.find('', 'v1', 'events');
    if (!def) return;
    const fieldManager = ev.source.component;
    try {
      if (this.vc.store.peek(def, ev.namespace, ev.name)) {
        try {
          await this.bump(def, ev);
        } catch (e) {
          // Gone meanwhile (deleted, expired): create it again with the whole count, as upstream does.
          if (!(e instanceof ApiError && e.code === 404)) throw e;
          await this.vc.store.create(def, ev.namespace, eventObject(ev), { fieldManager });
        }
        return;
      }
      try {
        await this.vc.store.create(def, ev.namespace, eventObject(ev), { fieldManager });
      } catch (e) {
        // Written before this recorder knew of it (names are stable across restarts): count on from there.
        if (!(e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists')) throw e;
        await this.bump(def, ev);
      }
    } catch (e) {
      if (this.closed) return;
      if (!(e instanceof ApiError && (e.code === 409 || e.code === 404 || e.code === 403))) {
        console.error(`kubevisor: event ${ev.reason} on ${ev.involvedObject.kind}/${ev.involvedObject.name}: ${(e as Error).message}`);
      }
    }
  }

  /** What upstream patches on a repeat: count, lastTimestamp and message. */
  private async bump(def: ResourceDef, ev: CorrelatedEvent): Promise<void> {
    await this.vc.store.guaranteedUpdate(def, ev.namespace, ev.name, (cur) => {
      const e = cur as KubeObject;
      e.count = ((e.count as number | undefined) ?? 1) + ev.unwritten;
      e.lastTimestamp = nowTimestamp(ev.lastTimestamp);
      e.message = ev.message;
      return e;
    }, { fieldManager: ev.source.component });
  }
}

function eventObject(ev: CorrelatedEvent): KubeObject {
  const ts = (d: Date) => nowTimestamp(d);
  return {
    metadata: { name: ev.name, namespace: ev.namespace },
    involvedObject: { ...ev.involvedObject },
    reason: ev.reason,
    message: ev.message,
    source: { ...ev.source },
    type: ev.type,
    count: ev.count,
    firstTimestamp: ts(ev.firstTimestamp),
    lastTimestamp: ts(ev.lastTimestamp),
    ...(ev.aggregate ? {} : { reportingComponent: ev.source.component, reportingInstance: ev.source.host ?? '' }),
  };
}

/** A repeat of the event waiting last in its lane rides along with it. */
function mergeInto(tail: CorrelatedEvent, next: CorrelatedEvent): boolean {
  if (tail.name !== next.name || tail.namespace !== next.namespace) return false;
  tail.count = next.count;
  tail.unwritten += next.unwritten;
  tail.lastTimestamp = next.lastTimestamp;
  tail.message = next.message;
  return true;
}
