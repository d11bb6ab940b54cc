// One virtual pod and its host pod. Down: the host pod is created from the
// virtual one (with the config maps, secrets, claims and token Secret it
// needs, after the ConfigMaps of kubelet's variables) and deleted with it.
// Ephemeral containers follow through the host pod's subresource
// (ephemeral-containers.ts). Up: the host pod's status becomes the virtual
// pod's, and the host scheduler's node becomes the virtual pod's binding.
// A pod for a scheduler the host does not run waits for the virtual cluster's
// binding before it goes down, and a binding there that comes after the host
// pod was made is carried out while the host pod is unbound
// (translate/tenant-scheduling.ts).
import type { KubeObject } from '../api/types.ts';
import { ApiError } from '../api/errors.ts';
import { jsonEqual } from '../registry/generic/metadata.ts';
import { bindPod } from '../controllers/scheduler/bind.ts';
import { isTerminal, withPodCondition, type PodStatus } from '../nodes/api.ts';
import { nowTimestamp } from '../registry/generic/metadata.ts';
import type { PodFingerprint, SyncContext } from './context.ts';
import { HostError } from './host/index.ts';
import { syncObject } from './objects.ts';
import { envConfigMapKey, envConfigMapsOf } from './env-config-maps.ts';
import { refusedEphemeral, syncEphemeralContainers } from './ephemeral-containers.ts';
import { podReferences } from './references.ts';
import { FIELD_MANAGER, PODS, WORKLOAD_SERVICE_ACCOUNT } from './resources.ts';
import { deleteHost, raced, refusal } from './sync-errors.ts';
import { syncTokenSecret } from './tokens.ts';
import { ensureVirtualNode } from './virtual-nodes.ts';
import { fromHostPodStatus, hostName, hostTokenSecretName, isManagedBy, standsFor, toHostPod, type HostPod } from './translate/index.ts';
import { bindingAfterHostPod, heldForTenant } from './translate/tenant-scheduling.ts';

export interface PodSyncResult {
  /** Sync again after this long (token renewal, retry after a refusal). */
  requeueAfterMs?: number;
  /** The references the pod holds now ("configmap/NS/NAME", "serviceenv/NS/service-links", ...); undefined when the pod is gone. */
  refs?: string[];
}

/** What a pod uses, as sync keys (its env ConfigMaps included) and as (kind, name) pairs of its virtual objects. */
export interface PodRefs { list: string[]; kinds: [kind: 'configmap' | 'secret' | 'pvc', name: string][] }

export function refsOf(pod: KubeObject): PodRefs {
  const r = podReferences(pod);
  const ns = pod.metadata.namespace as string;
  const kinds: ['configmap' | 'secret' | 'pvc', string][] = [
    ...[...r.configmaps].map((n) => ['configmap', n] as ['configmap', string]),
    ...[...r.secrets].map((n) => ['secret', n] as ['secret', string]),
    ...[...r.pvcs].map((n) => ['pvc', n] as ['pvc', string]),
  ];
  return { list: [...kinds.map(([k, n]) => `${k}/${ns}/${n}`), ...envConfigMapsOf(pod).map(envConfigMapKey)], kinds };
}

/**
 * A pod the syncer holds back for a scheduler of the tenant's (translate/tenant-scheduling.ts):
 * unbound, naming a scheduler the host does not run, and without a host pod yet.
 */
export function heldPod(s: SyncContext, v: KubeObject): boolean {
  return heldForTenant(v, s.hostSchedulers) &&
    !s.hosts.pods.get(hostName(v.metadata.name as string, v.metadata.namespace as string, s.name));
}

function hostPodFor(s: SyncContext, v: KubeObject): HostPod {
  const ns = v.metadata.namespace as string;
  return toHostPod(v, {
    vcluster: s.name, hostNamespace: s.hostNamespace,
    apiServer: s.opts.apiServer, dnsIP: s.opts.dnsIP, clusterDomain: s.opts.clusterDomain,
    hostServiceAccount: WORKLOAD_SERVICE_ACCOUNT,
    tokenSecretName: hostTokenSecretName(v.metadata.name as string, ns, s.name),
    enforced: s.enforced,
    priorityClassName: (n) => s.hostPriorityClass(n),
  });
}

/**
 * `lost`: the host pod was deleted by someone else while the virtual pod ran
 * (rather than never made, or removed while the cluster was paused). `known`: the pod's
 * references, when the caller worked them out from the same object.
 */
export async function syncPod(s: SyncContext, ns: string, name: string, lost = false, known?: PodRefs): Promise<PodSyncResult> {
  const v = s.peek(s.defs.pods, ns, name);
  const refsFor = (pod: KubeObject): PodRefs => known ?? refsOf(pod);
  const hName = hostName(name, ns, s.name);
  const tokenSecret = hostTokenSecretName(name, ns, s.name);
  const h = s.hosts.pods.get(hName);
  if (!v) {
    s.sentDown.delete(`${ns}/${name}`);
    s.ephemeralRefused.delete(`${ns}/${name}`);
    s.placementWarned.delete(`${ns}/${name}`);
    // Gone from the virtual cluster for good: nothing of it stays on the host.
    if (h && isManagedBy(h, s.name, 'Pod')) await deleteHost(s.conn, PODS, s.hostNamespace, hName, h.metadata.uid, 0);
    await syncTokenSecret(s, { metadata: { name, namespace: ns } } as KubeObject, [], tokenSecret);
    return {};
  }
  const mine = h !== undefined && standsFor(h, v, 'Pod', s.name);
  if (v.metadata.deletionTimestamp) {
    if (mine) {
      if (!h.metadata.deletionTimestamp) {
        await deleteHost(s.conn, PODS, s.hostNamespace, hName, h.metadata.uid, v.metadata.deletionGracePeriodSeconds ?? undefined);
      }
      // Its status is left alone meanwhile: a status write would end the virtual pod's grace period.
      return { refs: refsFor(v).list };
    }
    // The host pod has stopped: finish the deletion, as a kubelet does once containers are gone.
    try {
      await s.vc.store.delete(s.defs.pods, ns, name, { gracePeriodSeconds: 0, preconditions: { uid: v.metadata.uid }, fieldManager: FIELD_MANAGER });
    } catch (e) {
      if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
    }
    return {};
  }
  if (h && !mine) {
    // A host pod of the same name stands for another virtual pod (an older one): replace it.
    await deleteHost(s.conn, PODS, s.hostNamespace, hName, h.metadata.uid, 0);
    return { requeueAfterMs: 200, refs: refsFor(v).list };
  }
  const refs = refsFor(v);
  if (!h) {
    if (isTerminal(v)) return { refs: refs.list };
    if (lost) {
      // Its host pod was deleted there (or its node lost) while it ran: as with a lost node,
      // the pod is deleted, and its controller makes a new one.
      await s.vc.store.delete(s.defs.pods, ns, name, { preconditions: { uid: v.metadata.uid }, fieldManager: FIELD_MANAGER }).catch((e: unknown) => {
        if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
      });
      return {};
    }
    // For a scheduler the host does not run: nothing goes to the host until the virtual cluster
    // binds it (the tenant's scheduler, through pods/binding); the pod stays Pending meanwhile.
    if (heldForTenant(v, s.hostSchedulers)) return { refs: [] };
    const hp = hostPodFor(s, v);
    try {
      // Unlike what its volumes use, these must be there before the pod (env-config-maps.ts),
      // and so must its priority class (a host refuses a pod naming an unknown one).
      const pc = (v.spec as { priorityClassName?: string } | undefined)?.priorityClassName;
      await Promise.all([s.envConfigMaps.ensure(s, v), pc ? s.ensureHostPriorityClass(pc) : undefined]);
    } catch (e) {
      if (!refusal(e)) throw e;
      await refused(s, v, e);
      return { requeueAfterMs: 10_000, refs: refs.list };
    }
    // Config maps and secrets the host does not have yet go first: a real kubelet fails a
    // container whose env source is missing (CreateContainerConfigError) and tries again only
    // after a backoff. Only a namespace's first pod using one pays this round trip.
    const missing = refs.kinds.filter(([kind, n]) => kind !== 'pvc' && !s.hosts[kind === 'configmap' ? 'configmaps' : 'secrets'].get(hostName(n, ns, s.name)));
    try {
      if (missing.length > 0) await Promise.all(missing.map(([kind, n]) => syncObject(s, kind, ns, n, true)));
    } catch (e) {
      if (!refusal(e)) throw e;
      await refused(s, v, e);
      return { requeueAfterMs: 10_000, refs: refs.list };
    }
    // The rest of what the pod uses, its token Secret and the pod itself are written side by
    // side: a pod made before its volumes' sources waits for them in ContainerCreating, as on
    // any cluster. The pod goes first (one turn of the event loop lets its request leave): its
    // tokens are signed while it is on its way.
    const created = s.conn.create(PODS, s.hostNamespace, hp.pod, { fieldManager: FIELD_MANAGER });
    created.catch(() => {}); // looked at below
    await new Promise<void>((resolve) => setImmediate(resolve));
    const deps = Promise.all([
      ...refs.kinds.filter((r) => !missing.includes(r)).map(([kind, n]) => syncObject(s, kind, ns, n, true)),
      syncTokenSecret(s, v, hp.tokens, tokenSecret),
    ]);
    const [depsDone, podDone] = await Promise.allSettled([deps, created]);
    if (depsDone.status === 'rejected') throw depsDone.reason;
    const renewIn = depsDone.value[depsDone.value.length - 1] as number | undefined;
    try {
      if (podDone.status === 'rejected') throw podDone.reason;
      s.hosts.pods.observe(podDone.value);
    } catch (e) {
      if (raced(e)) return { requeueAfterMs: 200, refs: refs.list };
      if (refusal(e)) {
        await refused(s, v, e);
        return { requeueAfterMs: 10_000, refs: refs.list };
      }
      throw e;
    }
    for (const w of hp.warnings) void s.ctl.events.record(v, 'Warning', 'SyncWarning', w, 'kubevisor-syncer');
    s.sentDown.set(`${ns}/${name}`, fingerprint(v, hp.tokens));
    if (hp.ephemeralContainers.length === 0) return { requeueAfterMs: renewIn, refs: refs.list };
    // A new host pod (resumed, or made again) for a pod that has ephemeral containers: the
    // create could not carry them; they follow at once, and what the host refused before is asked anew.
    s.ephemeralRefused.delete(`${ns}/${name}`);
    const eph = await syncEphemeralContainers(s, v, podDone.value, () => hp.ephemeralContainers);
    return { requeueAfterMs: earliest(renewIn, eph.requeueAfterMs), refs: refs.list };
  }
  const key = `${ns}/${name}`;
  // Bound in the virtual cluster after its host pod was made (a tenant's scheduler, by hand).
  const binding = isTerminal(v) || h.metadata.deletionTimestamp ? { action: 'none' as const } : bindingAfterHostPod(v, h);
  if (binding.action === 'recreate') {
    // Unbound on the host and never run: made again, pinned to that node. Only the host pod
    // seen here goes (a host scheduler that bound it meanwhile changed its resourceVersion),
    // and its deletion is not a loss of the pod; the informer's news of it queues the create.
    s.replacedHostPods.add(h.metadata.uid as string);
    try {
      await s.conn.delete(PODS, s.hostNamespace, hName, { uid: h.metadata.uid, resourceVersion: h.metadata.resourceVersion, gracePeriodSeconds: 0 });
    } catch (e) {
      // Gone already (maybe by an earlier pass whose news has not come yet): the mark stays for that news.
      if (!(e instanceof HostError && e.notFound)) s.replacedHostPods.delete(h.metadata.uid as string);
      if (!(e instanceof HostError && (e.notFound || e.conflict))) throw e;
    }
    s.sentDown.delete(key);
    return { refs: refs.list };
  }
  if (binding.action === 'stands' && s.placementWarned.get(key) !== v.metadata.uid) {
    s.placementWarned.set(key, v.metadata.uid);
    void s.ctl.events.record(v, 'Warning', 'HostPlacement',
      `bound to node "${binding.virtual}" after the host cluster had placed the pod on node "${binding.host}": the host's placement stands`, 'kubevisor-syncer');
  }
  // Both exist: what may change on a running pod goes down, the token stays fresh, the status comes up.
  let renewIn: number | undefined;
  const sent = s.sentDown.get(key);
  const fp = fingerprint(v, sent?.tokens ?? []);
  let hp: HostPod | undefined;
  if (!isTerminal(v) && (!sent || !sameFingerprint(sent, fp))) {
    hp = hostPodFor(s, v);
    await Promise.all(refs.kinds.map(([kind, n]) => syncObject(s, kind, ns, n, true)));
    renewIn = await syncTokenSecret(s, v, hp.tokens, tokenSecret);
    const patch = podUpdate(h, hp.pod);
    if (patch) {
      try {
        await s.conn.patch(PODS, s.hostNamespace, hName, 'strategic', patch, { fieldManager: FIELD_MANAGER });
      } catch (e) {
        if (!(e instanceof HostError && (e.notFound || e.conflict))) throw e;
      }
    }
    s.sentDown.set(key, { ...fp, tokens: hp.tokens });
  } else if (!isTerminal(v) && sent) {
    // Only the status moved: the token Secret is looked at (renewed when due).
    renewIn = await syncTokenSecret(s, v, sent.tokens, tokenSecret);
  }
  // Ephemeral containers the host pod lacks (added since, or refused before and due again) are added;
  // their config maps and secrets went with the references above.
  let again: number | undefined;
  if (!isTerminal(v) && !h.metadata.deletionTimestamp) {
    again = (await syncEphemeralContainers(s, v, h, () => (hp ??= hostPodFor(s, v)).ephemeralContainers)).requeueAfterMs;
  }
  await statusBack(s, v, h);
  return { requeueAfterMs: earliest(renewIn, again), refs: refs.list };
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/** The host would not take the pod (quota, policy, validation): say so on the virtual pod. */
async function refused(s: SyncContext, v: KubeObject, e: HostError): Promise<void> {
  const message = `the host cluster refused the pod: ${e.message}`;
  void s.ctl.events.record(v, 'Warning', 'SyncError', message, 'kubevisor-syncer');
  await s.vc.store.guaranteedUpdate(s.defs.pods, v.metadata.namespace, v.metadata.name as string, (cur) => {
    const o = cur as KubeObject;
    if (o.metadata.uid !== v.metadata.uid) return o;
    const st = (o.status ?? (o.status = {})) as PodStatus;
    st.phase ??= 'Pending';
    st.conditions = withPodCondition(st.conditions, { type: 'PodScheduled', status: 'False', reason: 'SyncError', message }, nowTimestamp());
    return o;
  }, { subresource: 'status', fieldManager: FIELD_MANAGER }).catch((err: unknown) => {
    if (!(err instanceof ApiError && err.code === 404)) throw err;
  });
}

async function statusBack(s: SyncContext, v: KubeObject, h: KubeObject): Promise<void> {
  const ns = v.metadata.namespace as string;
  const name = v.metadata.name as string;
  const refused = refusedEphemeral(s, v);
  const back = fromHostPodStatus(h, v, refused);
  if (back.bindNode && !(v.spec as { nodeName?: string }).nodeName) {
    await ensureVirtualNode(s, back.bindNode);
    try {
      // The host pod is bound and usually started already: its status goes with the binding.
      const status = { of: (bound: KubeObject) => fromHostPodStatus(h, bound, refused).status as Record<string, unknown>, fieldManager: FIELD_MANAGER };
      await bindPod(s.vc, s.defs.pods, ns, name, back.bindNode, { uid: v.metadata.uid, status });
    } catch (e) {
      if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
    }
  }
  const cur = s.peek(s.defs.pods, ns, name);
  if (!cur || cur.metadata.uid !== v.metadata.uid || jsonEqual(fromHostPodStatus(h, cur, refused).status, cur.status ?? {})) return;
  try {
    await s.vc.store.guaranteedUpdate(s.defs.pods, ns, name, (c) => {
      const o = c as KubeObject;
      if (o.metadata.uid !== v.metadata.uid) return o;
      o.status = fromHostPodStatus(h, o, refused).status;
      return o;
    }, { subresource: 'status', fieldManager: FIELD_MANAGER });
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 404)) throw e;
  }
}

interface MutablePodSpec {
  containers?: { name: string; image?: string }[]; initContainers?: { name: string; image?: string }[];
  ephemeralContainers?: { name: string }[]; activeDeadlineSeconds?: number; tolerations?: unknown[];
}

/**
 * What of a running pod may change and must reach the host pod: labels and annotations
 * (the host's own extra annotations stay), container images, activeDeadlineSeconds and
 * added tolerations, as a strategic merge patch; undefined when nothing differs.
 */
export function podUpdate(have: KubeObject, want: KubeObject): Record<string, unknown> | undefined {
  const patch: Record<string, unknown> = {};
  const meta: Record<string, unknown> = {};
  const hl = have.metadata.labels ?? {};
  const wl = want.metadata.labels ?? {};
  if (!jsonEqual(hl, wl)) {
    const labels: Record<string, string | null> = { ...wl };
    for (const k of Object.keys(hl)) if (!(k in wl)) labels[k] = null;
    meta.labels = labels;
  }
  const ha = have.metadata.annotations ?? {};
  const wa = want.metadata.annotations ?? {};
  const changed = Object.entries(wa).filter(([k, v]) => ha[k] !== v);
  if (changed.length > 0) meta.annotations = Object.fromEntries(changed);
  if (Object.keys(meta).length > 0) patch.metadata = meta;
  const hs = (have.spec ?? {}) as MutablePodSpec;
  const ws = (want.spec ?? {}) as MutablePodSpec;
  const spec: Record<string, unknown> = {};
  for (const field of ['containers', 'initContainers'] as const) {
    const diff = (ws[field] ?? []).filter((c) => (hs[field] ?? []).find((x) => x.name === c.name)?.image !== c.image);
    if (diff.length > 0) spec[field] = diff.map((c) => ({ name: c.name, image: c.image }));
  }
  if (ws.activeDeadlineSeconds !== hs.activeDeadlineSeconds && ws.activeDeadlineSeconds !== undefined) spec.activeDeadlineSeconds = ws.activeDeadlineSeconds;
  const extra = (ws.tolerations ?? []).filter((t) => !(hs.tolerations ?? []).some((x) => jsonEqual(x, t)));
  if (extra.length > 0) spec.tolerations = [...(hs.tolerations ?? []), ...extra];
  if (Object.keys(spec).length > 0) patch.spec = spec;
  return Object.keys(patch).length > 0 ? patch : undefined;
}

function fingerprint(v: KubeObject, tokens: PodFingerprint['tokens']): PodFingerprint {
  const spec = (v.spec ?? {}) as MutablePodSpec;
  const images = [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((c) => c.image ?? '').join(' ');
  return {
    uid: v.metadata.uid, labels: JSON.stringify(v.metadata.labels ?? {}), annotations: JSON.stringify(v.metadata.annotations ?? {}),
    // Ephemeral containers are only ever added (and then never changed): their names say what changed.
    rest: `${images}|${spec.activeDeadlineSeconds ?? ''}|${spec.tolerations ? JSON.stringify(spec.tolerations) : ''}|${(spec.ephemeralContainers ?? []).map((c) => c.name).join(' ')}`,
    tokens,
  };
}

function sameFingerprint(a: PodFingerprint, b: PodFingerprint): boolean {
  return a.uid === b.uid && a.labels === b.labels && a.annotations === b.annotations && a.rest === b.rest;
}
