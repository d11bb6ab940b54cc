// The events the host records about a synced pod become events of the virtual
// pod, worded with its virtual name: the host scheduler's and kubelet's story
// of it (Scheduled, Pulled, Created, Started, Killing; warnings such as failed
// mounts, back-off and scheduling failures), which nothing in the virtual
// cluster tells, since its pods are scheduled and run by the host. A count the
// host raises on an event raises the virtual one's.
import { createHash } from 'node:crypto';
import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../api/types.ts';
import type { SyncContext } from './context.ts';
import { FIELD_MANAGER } from './resources.ts';
import { virtualIdentity } from './translate/index.ts';

interface HostEvent extends KubeObject {
  involvedObject?: { kind?: string; name?: string; namespace?: string; fieldPath?: string };
  reason?: string; message?: string; type?: string; count?: number;
  firstTimestamp?: string; lastTimestamp?: string; eventTime?: string;
  source?: { component?: string; host?: string };
}

/** The virtual pod a host event is about, when it is one of this cluster's. */
export function eventTarget(s: SyncContext, ev: HostEvent): KubeObject | undefined {
  const inv = ev.involvedObject;
  if (inv?.kind !== 'Pod' || !inv.name) return undefined;
  const hp = s.hosts.pods.get(inv.name);
  const id = hp ? virtualIdentity(hp) : undefined;
  if (!id || id.vcluster !== s.name || id.kind !== 'Pod' || !id.namespace) return undefined;
  const v = s.peek(s.defs.pods, id.namespace, id.name);
  return v && v.metadata.uid === id.uid ? v : undefined;
}

/** Copy (or bring up to date) the virtual event for the host event `hostEvent`. */
export async function syncHostEvent(s: SyncContext, hostEvent: KubeObject): Promise<void> {
  const ev = hostEvent as HostEvent;
  const name = ev.metadata.name as string;
  const v = eventTarget(s, ev);
  if (!v) return;
  const def = s.vc.registry.find('', 'v1', 'events');
  if (!def) return;
  const ns = v.metadata.namespace as string;
  const hostPod = ev.involvedObject?.name as string;
  const reword = (text: string | undefined) => (text ?? '').split(`${s.hostNamespace}/${hostPod}`).join(`${ns}/${v.metadata.name}`).split(hostPod).join(v.metadata.name as string);
  const vName = `${v.metadata.name}.${createHash('sha256').update(ev.metadata.uid ?? name).digest('hex').slice(0, 16)}`;
  const when = ev.lastTimestamp ?? ev.eventTime ?? ev.metadata.creationTimestamp;
  const body: Record<string, unknown> = {
    metadata: { name: vName, namespace: ns },
    involvedObject: { kind: 'Pod', apiVersion: 'v1', namespace: ns, name: v.metadata.name, uid: v.metadata.uid, ...(ev.involvedObject?.fieldPath ? { fieldPath: ev.involvedObject.fieldPath } : {}) },
    reason: ev.reason, message: reword(ev.message), type: ev.type, count: ev.count ?? 1,
    firstTimestamp: ev.firstTimestamp ?? when, lastTimestamp: when,
    source: { component: ev.source?.component ?? 'host', ...(ev.source?.host ? { host: ev.source.host } : {}) },
    reportingComponent: ev.source?.component ?? 'host', reportingInstance: ev.source?.host ?? '',
  };
  const have = s.peek(def, ns, vName) as HostEvent | undefined;
  try {
    if (!have) {
      await s.vc.store.create(def, ns, body as KubeObject, { fieldManager: FIELD_MANAGER });
    } else if (have.count !== body.count || have.message !== body.message || have.lastTimestamp !== body.lastTimestamp) {
      await s.vc.store.guaranteedUpdate(def, ns, vName, (cur) => {
        const e = cur as HostEvent;
        e.count = body.count as number;
        e.message = body.message as string;
        e.lastTimestamp = body.lastTimestamp as string;
        return e;
      }, { fieldManager: FIELD_MANAGER });
    }
  } catch (e) {
    if (!(e instanceof ApiError && (e.code === 409 || e.code === 404 || e.code === 403))) throw e;
  }
}
