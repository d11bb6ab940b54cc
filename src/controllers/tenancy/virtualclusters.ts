// The admin API's VirtualCluster controller: makes the server's clusters what
// the VirtualCluster objects say (created, paused, resumed, deleted with their
// data) and reports each cluster's phase, endpoint and counts in its status.

import { ApiError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import type { VirtualCluster } from '../../server/cluster.ts';
import type { ClusterManager } from '../../server/tenancy/manager.ts';
import { readSpec } from '../../server/tenancy/spec.ts';
import { CLEANUP_FINALIZER, VC_GROUP, VC_PLURAL, VC_VERSION } from '../../server/tenancy/virtualcluster-crd.ts';
import { jsonEqual } from '../../registry/generic/metadata.ts';
import type { ResourceDef } from '../../registry/types.ts';
import { Controller } from '../runtime.ts';

const fieldManager = 'kubevisor-controller';
const prefix = `/registry/${VC_GROUP}/${VC_PLURAL}/`;
/** How often counts and activity of running clusters are brought up to date in their status. */
const STATUS_REFRESH_MS = 30_000;
/**
 * Reconciles that may run at once, each on its own clusters (a cluster's name always
 * goes to the same worker, so one cluster's reconciles never overlap): opening a
 * cluster waits on files and commits, during which another can be opened.
 */
const WORKERS = 4;

export interface VirtualClusterControllerOptions {
  readonly manager: ClusterManager;
  /** https://HOST:PORT as clients reach the server. */
  readonly externalUrl: () => string;
  /** More conditions for a cluster's status (the syncer's HostConnected). */
  readonly conditions?: (name: string) => readonly { type: string; status: 'True' | 'False' | 'Unknown'; reason: string; message: string; since: number }[];
}

export interface VirtualClusterController {
  /** Reconcile `name` now (a request for a cluster created a moment ago). */
  reconcileNow(name: string): Promise<void>;
  /** Tell the controller a cluster's phase changed. */
  phaseChanged(name: string): void;
  /** Stop; resolves once the reconcile under way has finished. */
  stop(): Promise<void>;
}

function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function startVirtualClusterController(admin: VirtualCluster, opts: VirtualClusterControllerOptions): VirtualClusterController {
  const { manager } = opts;
  const store = admin.store;
  const def = (): ResourceDef | undefined => admin.registry.find(VC_GROUP, VC_VERSION, VC_PLURAL);

  // New VirtualClusters carry the cleanup finalizer from their first write.
  store.admission.push({
    name: 'VirtualClusterCleanup',
    admit(op, d, _ns, obj) {
      if (op !== 'create' || d.group !== VC_GROUP || d.plural !== VC_PLURAL) return;
      const fins = obj.metadata.finalizers ?? [];
      if (!fins.includes(CLEANUP_FINALIZER)) obj.metadata.finalizers = [...fins, CLEANUP_FINALIZER];
    },
  });

  function desiredStatus(obj: KubeObject, failure: string | undefined): Record<string, unknown> {
    const name = obj.metadata.name as string;
    const rec = manager.get(name);
    const old = (obj.status ?? {}) as Record<string, unknown>;
    const phase = failure ? 'Failed' : rec?.phase ?? 'Pending';
    const message = failure ?? (rec?.phase === 'Failed' ? rec.message : '');
    const ready = phase === 'Running';
    const reason = phase === 'Running' ? 'Running' : phase === 'Pending' ? 'Starting' : phase;
    const oldConds = Array.isArray(old.conditions) ? old.conditions as Record<string, unknown>[] : [];
    const prevReady = oldConds.find((c) => c.type === 'Ready');
    const status = ready ? 'True' : 'False';
    const cond = {
      type: 'Ready', status, reason, message,
      lastTransitionTime: prevReady && prevReady.status === status ? prevReady.lastTransitionTime : timestamp(rec?.since ?? Date.now()),
    };
    const out: Record<string, unknown> = {
      phase,
      endpoint: `${opts.externalUrl()}/clusters/${name}`,
      kubernetesVersion: rec?.spec.kubernetesVersion ?? readSpec(obj).spec.kubernetesVersion,
      objects: manager.objectCount(name),
      observedGeneration: obj.metadata.generation,
      conditions: [cond, ...(opts.conditions?.(name) ?? []).map((c) => {
        const prev = oldConds.find((o) => o.type === c.type);
        return {
          type: c.type, status: c.status, reason: c.reason, message: c.message,
          lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : timestamp(Math.floor(c.since / 1000) * 1000),
        };
      })],
    };
    const activity = rec ? Math.max(rec.lastActivity, rec.vc?.lastActivity ?? 0) : undefined;
    if (activity) out.lastActivityTime = timestamp(Math.floor(activity / 1000) * 1000);
    return out;
  }

  /** Clusters whose counts and activity are due to be brought up to date (the refresh below). */
  const countsDue = new Set<string>();

  /** Equal but for the object count and last activity, which only the refresh writes. */
  function sameButCounts(have: unknown, want: Record<string, unknown>): boolean {
    if (!have || typeof have !== 'object') return false;
    const { objects: _a, lastActivityTime: _b, ...h } = have as Record<string, unknown>;
    const { objects: _c, lastActivityTime: _d, ...w } = want;
    return jsonEqual(h, w);
  }

  async function writeStatus(d: ResourceDef, name: string, failure: string | undefined): Promise<void> {
    const cur = store.peek(d, undefined, name);
    if (!cur) return;
    const want = desiredStatus(cur, failure);
    const due = countsDue.delete(name);
    // A status write is a CRD validation, a field-ownership update and a commit: only
    // for a change of phase, condition, endpoint, version or generation, or when the
    // counts are due.
    if (due ? jsonEqual(cur.status, want) : sameButCounts(cur.status, want)) return;
    try {
      await store.guaranteedUpdate(d, undefined, name, (o) => {
        const obj = o as KubeObject;
        obj.status = desiredStatus(obj, failure);
        return obj;
      }, { subresource: 'status', fieldManager });
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
  }

  async function reconcile(name: string): Promise<void> {
    const d = def();
    if (!d) return; // the definition is being established; its event brings us back
    const obj = store.peek(d, undefined, name);
    if (!obj) {
      if (manager.get(name)) await manager.remove(name);
      return;
    }
    if (obj.metadata.deletionTimestamp) {
      if (!(obj.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER)) return;
      await manager.remove(name);
      try {
        await store.guaranteedUpdate(d, undefined, name, (o) => {
          const x = o as KubeObject;
          x.metadata.finalizers = (x.metadata.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER);
          return x;
        }, { fieldManager });
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
      return;
    }
    if (!(obj.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER)) {
      await store.guaranteedUpdate(d, undefined, name, (o) => {
        const x = o as KubeObject;
        x.metadata.finalizers = [...(x.metadata.finalizers ?? []), CLEANUP_FINALIZER];
        return x;
      }, { fieldManager });
    }
    const { spec, errors } = readSpec(obj);
    if (errors.length > 0) {
      await writeStatus(d, name, errors.map((e) => `${e.field}: ${e.detail ?? 'invalid'}`).join('; '));
      return;
    }
    await manager.apply(name, spec);
    await writeStatus(d, name, undefined);
  }

  const workers = Array.from({ length: WORKERS }, (_, i) => new Controller(`virtualcluster-${i}`, reconcile));
  const workerOf = (name: string): Controller => {
    let h = 0;
    for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) | 0;
    return workers[(h >>> 0) % WORKERS];
  };
  const controller = { enqueue: (name: string) => workerOf(name).enqueue(name) };
  // Our own status writes need no reconcile (only spec, finalizers and deletion do): without
  // this, each status write re-runs the reconcile, which writes the next object count, and so on.
  // Counts and activity are brought up to date by the refresh below.
  const statusOnly = (ev: { type: string; obj: KubeObject; prev: KubeObject | undefined }): boolean => {
    if (ev.type !== 'MODIFIED' || !ev.prev) return false;
    const a = ev.obj.metadata, b = ev.prev.metadata;
    return a.generation === b.generation && a.deletionTimestamp === b.deletionTimestamp &&
      jsonEqual(a.finalizers, b.finalizers) && jsonEqual(ev.obj.spec, ev.prev.spec);
  };
  const unwatch = admin.cache.subscribe({
    prefix,
    onEvent: (ev) => { if (!statusOnly(ev)) controller.enqueue(ev.obj.metadata.name as string); },
  });
  // The CRD becoming established makes the objects servable: look at them all again.
  const unwatchCrd = admin.cache.subscribe({
    prefix: '/registry/apiextensions.k8s.io/customresourcedefinitions/',
    onEvent: () => { for (const c of admin.cache.scan(prefix)) controller.enqueue(c.obj.metadata.name as string); },
  });
  for (const c of admin.cache.scan(prefix)) controller.enqueue(c.obj.metadata.name as string);

  // Counts and activity change without events: refresh them now and then, for running clusters only.
  const refresh = setInterval(() => {
    for (const name of manager.names()) {
      if (manager.get(name)?.phase !== 'Running') continue;
      countsDue.add(name);
      controller.enqueue(name);
    }
  }, STATUS_REFRESH_MS);
  refresh.unref();

  return {
    async reconcileNow(name) {
      await reconcile(name);
    },
    phaseChanged(name) {
      controller.enqueue(name);
    },
    stop() {
      clearInterval(refresh);
      unwatch();
      unwatchCrd();
      return Promise.all(workers.map((w) => w.stop())).then(() => undefined);
    },
  };
}
