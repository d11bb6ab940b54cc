// What upstream's event correlator (client-go tools/record) decides before an
// event is written: similar events that differ only by message are folded into
// one aggregate event, repeats of the same event become count bumps, and each
// source may only say so much about one object (a token bucket per source and
// object). Pure bookkeeping on an injected clock: no I/O, no timers.

import { createHash } from 'node:crypto';
import { LruMap } from '../api/lru-map.ts';

export type EventType = 'Normal' | 'Warning';

export interface ObjectReference {
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  apiVersion: string;
  resourceVersion?: string;
  /** The part of the object the event is about (a kubelet's `spec.containers{web}`). */
  fieldPath?: string;
}

export interface EventSource {
  component: string;
  host?: string;
}

/** One call of `record()`, before correlation. */
export interface Occurrence {
  involvedObject: ObjectReference;
  source: EventSource;
  type: EventType;
  reason: string;
  message: string;
  at: Date;
}

/** An Event object to create, or to bump when it exists. */
export interface CorrelatedEvent {
  name: string;
  namespace: string;
  involvedObject: ObjectReference;
  source: EventSource;
  type: EventType;
  reason: string;
  message: string;
  /** Occurrences of this event so far, the ones the spam filter dropped included (as upstream counts them). */
  count: number;
  /** Occurrences not written yet: what a write adds to the stored count. */
  unwritten: number;
  firstTimestamp: Date;
  lastTimestamp: Date;
  /** Upstream's aggregate event carries no reportingController/reportingInstance. */
  aggregate: boolean;
}

export interface CorrelatorOptions {
  /** Events a source may emit about one object at once (upstream: 25). */
  spamBurst?: number;
  /** Refill of that budget, events per second (upstream: one per 5 minutes). */
  spamQps?: number;
  /** Distinct messages of similar events before they are aggregated (upstream: 10). */
  aggregateMaxEvents?: number;
  /** Quiet time after which similar events start a fresh count of distinct messages (upstream: 10 minutes). */
  aggregateIntervalMs?: number;
  /** Entries kept in each cache (upstream: 4096). */
  cacheSize?: number;
}

export const aggregatePrefix = '(combined from similar events): ';

const defaults = {
  spamBurst: 25,
  spamQps: 1 / 300,
  aggregateMaxEvents: 10,
  aggregateIntervalMs: 600_000,
  cacheSize: 4096,
} satisfies Required<CorrelatorOptions>;

interface TokenBucket {
  tokens: number;
  lastMs: number;
}

interface SimilarEvents {
  /** Distinct messages seen (never more than max-1 kept: the one that tips it over is not remembered). */
  messages: Set<string>;
  lastSeenMs: number;
}

interface EventLog {
  name: string;
  firstTimestamp: Date;
  count: number;
  unwritten: number;
}

function sourceObjectKey(o: Occurrence): string {
  const r = o.involvedObject;
  return [o.source.component, o.source.host ?? '', r.kind, r.namespace ?? '', r.name, r.uid ?? '', r.apiVersion].join('\x00');
}

function eventName(objectName: string, key: string): string {
  return `${objectName}.${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

export class EventCorrelator {
  private readonly opts: Required<CorrelatorOptions>;
  private readonly spam: LruMap<string, TokenBucket>;
  private readonly similar: LruMap<string, SimilarEvents>;
  private readonly logs: LruMap<string, EventLog>;

  constructor(opts: CorrelatorOptions = {}) {
    this.opts = { ...defaults, ...opts };
    this.spam = new LruMap(this.opts.cacheSize);
    this.similar = new LruMap(this.opts.cacheSize);
    this.logs = new LruMap(this.opts.cacheSize);
  }

  /**
   * Aggregate, then count, then rate-limit, in upstream's order: an occurrence
   * the spam filter drops is still counted, so the next one written carries it.
   * Returns undefined when the occurrence is dropped.
   */
  correlate(o: Occurrence): CorrelatedEvent | undefined {
    const srcObj = sourceObjectKey(o);
    const nowMs = o.at.getTime();

    // Similar events: same source, object, type and reason; only the message differs. (Upstream
    // also keys on the reporting controller and instance, which are the source's component and host.)
    const similarKey = `${srcObj}\x00${o.type}\x00${o.reason}`;
    let sim = this.similar.get(similarKey);
    if (!sim || nowMs - sim.lastSeenMs > this.opts.aggregateIntervalMs) sim = { messages: new Set(), lastSeenMs: nowMs };
    sim.messages.add(o.message);
    sim.lastSeenMs = nowMs;
    this.similar.set(similarKey, sim);
    // Upstream's event key names the field path too: each container's "Started" is an event of its own.
    const field = o.involvedObject.fieldPath ? `\x00${o.involvedObject.fieldPath}` : '';
    let key = `event\x00${srcObj}${field}\x00${o.type}\x00${o.reason}\x00${o.message}`;
    let message = o.message;
    const aggregate = sim.messages.size >= this.opts.aggregateMaxEvents;
    if (aggregate) {
      // Upstream drops an arbitrary message to stay under the limit; dropping this one keeps
      // the outcome deterministic: the first max-1 messages keep their own events.
      sim.messages.delete(o.message);
      key = `aggregate\x00${similarKey}`;
      message = aggregatePrefix + o.message;
    }

    let log = this.logs.get(key);
    if (!log) log = { name: eventName(o.involvedObject.name, key), firstTimestamp: o.at, count: 0, unwritten: 0 };
    log.count++;
    log.unwritten++;
    this.logs.set(key, log);

    if (!this.tryAccept(`${srcObj}\x00${o.type}`, nowMs)) return undefined;
    const unwritten = log.unwritten;
    log.unwritten = 0;
    return {
      name: log.name,
      namespace: o.involvedObject.namespace || 'default',
      involvedObject: o.involvedObject,
      source: o.source,
      type: o.type,
      reason: o.reason,
      message,
      count: log.count,
      unwritten,
      firstTimestamp: log.firstTimestamp,
      lastTimestamp: o.at,
      aggregate,
    };
  }

  /** The spam filter: one token per event, `spamBurst` at most, refilled at `spamQps`. */
  private tryAccept(key: string, nowMs: number): boolean {
    const { spamBurst, spamQps } = this.opts;
    let b = this.spam.get(key);
    if (!b) b = { tokens: spamBurst, lastMs: nowMs };
    const elapsed = Math.max(0, nowMs - b.lastMs);
    b.tokens = Math.min(spamBurst, b.tokens + (elapsed / 1000) * spamQps);
    b.lastMs = Math.max(b.lastMs, nowMs);
    this.spam.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
