// Events the way upstream's recorder writes them: core/v1 Events named
// `<object>.<hex>`, with involvedObject, reason, message, source, and repeated
// events folded into one with a growing count.

import { createHash } from 'node:crypto';
import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../api/types.ts';
import { nowTimestamp } from '../registry/generic/metadata.ts';
import type { VirtualCluster } from '../server/cluster.ts';

export type EventType = 'Normal' | 'Warning';

export class EventRecorder {
  private readonly vc: VirtualCluster;
  private readonly now: () => Date;

  constructor(vc: VirtualCluster, now: () => Date) {
    this.vc = vc;
    this.now = now;
  }

  /**
   * Record that `component` saw `reason` on `obj`. The same (object, reason,
   * message, source) again bumps count and lastTimestamp of the existing event.
   * Failures are logged, never thrown: events are best effort.
   */
  async record(obj: KubeObject, type: EventType, reason: string, message: string, component: string, host?: string): Promise<void> {
    const def = this.vc.registry.find('', 'v1', 'events');
    if (!def) return;
    const ns = obj.metadata.namespace || 'default';
    const key = createHash('sha256').update([obj.metadata.uid, type, reason, message, component, host ?? ''].join('\x00')).digest('hex').slice(0, 16);
    const name = `${obj.metadata.name}.${key}`;
    const ts = nowTimestamp(this.now());
    try {
      const existing = this.vc.store.peek(def, ns, name);
      if (existing) {
        await this.vc.store.guaranteedUpdate(def, ns, name, (cur) => {
          const e = cur as KubeObject;
          e.count = ((e.count as number | undefined) ?? 1) + 1;
          e.lastTimestamp = ts;
          return e;
        }, { fieldManager: component });
        return;
      }
      const source: Record<string, string> = { component };
      if (host) source.host = host;
      await this.vc.store.create(def, ns, {
        metadata: { name, namespace: ns },
        involvedObject: {
          kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid,
          apiVersion: obj.apiVersion, resourceVersion: obj.metadata.resourceVersion,
        },
        reason, message, source, type, count: 1,
        firstTimestamp: ts, lastTimestamp: ts,
        reportingComponent: component, reportingInstance: host ?? '',
      }, { fieldManager: component });
    } catch (e) {
      if (!(e instanceof ApiError && (e.code === 409 || e.code === 404 || e.code === 403))) {
        console.error(`kubevisor: event ${reason} on ${obj.kind}/${obj.metadata.name}: ${(e as Error).message}`);
      }
    }
  }
}
