// The aggregator's controllers for one cluster, started with its first
// APIService (controllers/index.ts):
//
// - availability: the `Available` condition of each APIService backed by a
//   Service (server/aggregator/availability.ts checks it), reconciled when
//   the APIService, its Service or its EndpointSlices change, when a proxied
//   request failed to reach it, and every 30 s (upstream's resync), sooner
//   after a failed check; Local APIServices keep `Local`.
// - local: the Local APIServices of custom resources follow the CRDs.
// - authentication: kube-system/extension-apiserver-authentication, what
//   extension servers using delegated authentication read: the cluster's
//   client CA, and the front-proxy CA with the request-header names the
//   aggregator sends. Published once an APIService is backed by a Service.

import { ApiError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { listPrefix, resourcePrefix } from '../../registry/generic/keys.ts';
import { nowTimestamp } from '../../registry/generic/metadata.ts';
import { aggregatorOf, type Backend } from '../../server/aggregator/index.ts';
import { checkAvailability, type AvailableCondition } from '../../server/aggregator/availability.ts';
import { FRONT_PROXY_CLIENT, frontProxyOf } from '../../server/aggregator/front-proxy.ts';
import { syncLocalAPIServices } from '../../server/aggregator/local.ts';
import type { ControllerContext } from '../context.ts';
import { Controller } from '../runtime.ts';

const RESYNC_MS = 30_000;
const RETRY_MS = 5_000;
/** The key of the authentication ConfigMap's reconcile (no APIService has an empty name). */
const CONFIG_KEY = '';
const LOCAL_KEY = '\0local';
export const AUTH_CONFIGMAP = 'extension-apiserver-authentication';
const MANAGER = 'kube-apiserver';

type Json = Record<string, unknown>;

function availableOf(obj: KubeObject): Json | undefined {
  const conditions = ((obj.status as Json | undefined)?.conditions ?? []) as Json[];
  return conditions.find((c) => c.type === 'Available');
}

/** The status with `want` set as upstream's SetAPIServiceCondition sets it (the time moves with the status only). */
export function withCondition(status: unknown, want: AvailableCondition, now: Date): Json {
  const s = { ...((status ?? {}) as Json) };
  const conditions = [...((s.conditions ?? []) as Json[])];
  const at = conditions.findIndex((c) => c.type === 'Available');
  if (at < 0) {
    conditions.push({ ...want, lastTransitionTime: nowTimestamp(now) });
  } else {
    const old = conditions[at]!;
    conditions[at] = {
      ...old, status: want.status, reason: want.reason, message: want.message,
      lastTransitionTime: old.status === want.status && old.lastTransitionTime ? old.lastTransitionTime : nowTimestamp(now),
    };
  }
  s.conditions = conditions;
  return s;
}

/** The data of extension-apiserver-authentication. */
export function authenticationData(clientCA: string | undefined, requestHeaderCA: string): Record<string, string> {
  const data: Record<string, string> = {};
  if (clientCA) data['client-ca-file'] = clientCA;
  data['requestheader-allowed-names'] = JSON.stringify([FRONT_PROXY_CLIENT]);
  data['requestheader-client-ca-file'] = requestHeaderCA;
  data['requestheader-extra-headers-prefix'] = JSON.stringify(['X-Remote-Extra-']);
  data['requestheader-group-headers'] = JSON.stringify(['X-Remote-Group']);
  data['requestheader-uid-headers'] = JSON.stringify(['X-Remote-Uid']);
  data['requestheader-username-headers'] = JSON.stringify(['X-Remote-User']);
  return data;
}

export function startAPIServiceControllers(ctx: ControllerContext): () => void {
  const { vc } = ctx;
  const agg = aggregatorOf(vc);
  if (!agg) return () => {};
  const apiDef = ctx.def('apiregistration.k8s.io', 'v1', 'apiservices');
  const cmDef = ctx.def('', 'v1', 'configmaps');
  const crdDef = vc.registry.find('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
  const servicesDef = vc.registry.find('', 'v1', 'services');
  const slicesDef = vc.registry.find('discovery.k8s.io', 'v1', 'endpointslices');

  const publish = async (): Promise<void> => {
    const have = vc.store.peek(cmDef, 'kube-system', AUTH_CONFIGMAP);
    if (!agg.active && !have) return;
    const fp = await frontProxyOf(vc);
    const data = authenticationData(vc.certIssuer?.toString(), fp.caPem);
    if (!have) {
      await vc.store.create(cmDef, 'kube-system', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: AUTH_CONFIGMAP, namespace: 'kube-system' }, data } as KubeObject,
        { fieldManager: MANAGER }).catch((e: unknown) => { if (!(e instanceof ApiError && e.code === 409)) throw e; });
      return;
    }
    const current = (have as Json).data as Record<string, string> | undefined;
    if (Object.entries(data).every(([k, v]) => current?.[k] === v)) return;
    await vc.store.guaranteedUpdate(cmDef, 'kube-system', AUTH_CONFIGMAP, (cur) => {
      const obj = cur as KubeObject & { data?: Record<string, string> };
      obj.data = { ...(obj.data ?? {}), ...data };
      return obj;
    }, { fieldManager: MANAGER });
  };

  const reconcile = async (key: string) => {
    if (key === CONFIG_KEY) return publish();
    if (key === LOCAL_KEY) return syncLocalAPIServices(vc);
    await vc.cache.sync();
    const obj = vc.store.peek(apiDef, undefined, key);
    if (!obj) return;
    const spec = (obj.spec ?? {}) as Json;
    const backend = spec.service ? agg.backend(String(spec.group ?? ''), String(spec.version ?? '')) : undefined;
    let want: AvailableCondition;
    if (!spec.service) {
      want = { type: 'Available', status: 'True', reason: 'Local', message: 'Local APIServices are always available' };
    } else if (!backend || backend.name !== key) {
      return;
    } else {
      want = await checkAvailability(agg, backend);
    }
    const cur = availableOf(obj);
    if (!cur || cur.status !== want.status || cur.reason !== want.reason || cur.message !== want.message) {
      await vc.store.guaranteedUpdate(apiDef, undefined, key, (o) => {
        const next = o as KubeObject;
        next.status = withCondition(next.status, want, ctx.now());
        return next;
      }, { subresource: 'status', fieldManager: MANAGER }).catch((e: unknown) => { if (!(e instanceof ApiError && e.code === 404)) throw e; });
    }
    if (!spec.service) return;
    return { requeueAfterMs: want.status === 'True' ? RESYNC_MS : RETRY_MS };
  };

  const c = new Controller('apiservice-availability', reconcile, { workers: 2 });
  const stops: Array<() => void> = [];
  // An APIService changed: check it (and publish the ConfigMap once one is backed by a Service).
  stops.push(vc.cache.subscribe({
    prefix: resourcePrefix(apiDef),
    onEvent: (ev) => {
      c.enqueue(String(ev.obj.metadata.name));
      if (ev.type !== 'DELETED' && (ev.obj.spec as Json | undefined)?.service) c.enqueue(CONFIG_KEY);
    },
  }));
  /** The backends whose Service is NAMESPACE/NAME. */
  const byService = (namespace: string | undefined, name: string | undefined): Backend[] =>
    agg.backends().filter((b) => b.service.namespace === namespace && b.service.name === name);
  if (servicesDef) {
    stops.push(vc.cache.subscribe({
      prefix: resourcePrefix(servicesDef),
      onEvent: (ev) => { if (agg.active) for (const b of byService(ev.obj.metadata.namespace, ev.obj.metadata.name)) c.enqueue(b.name); },
    }));
  }
  if (slicesDef) {
    stops.push(vc.cache.subscribe({
      prefix: resourcePrefix(slicesDef),
      onEvent: (ev) => {
        if (!agg.active) return;
        const svc = ev.obj.metadata.labels?.['kubernetes.io/service-name'] ?? ev.prev?.metadata.labels?.['kubernetes.io/service-name'];
        for (const b of byService(ev.obj.metadata.namespace, svc)) c.enqueue(b.name);
      },
    }));
  }
  // The authentication ConfigMap changed or went: publish it again.
  stops.push(vc.cache.subscribe({
    prefix: listPrefix(cmDef, 'kube-system'),
    onEvent: (ev) => { if (ev.obj.metadata.name === AUTH_CONFIGMAP) c.enqueue(CONFIG_KEY); },
  }));
  // CRDs come and go: so do their Local APIServices.
  if (crdDef) stops.push(vc.cache.subscribe({ prefix: resourcePrefix(crdDef), onEvent: () => c.enqueue(LOCAL_KEY) }));
  agg.onUnreachable = (name) => c.enqueue(name);
  stops.push(() => { if (agg.onUnreachable) agg.onUnreachable = undefined; });

  // Start: the Local APIServices (first of all, as upstream's autoregistration), every APIService, the ConfigMap.
  void agg.ensureLocal().catch((e: unknown) => console.error(`kubevisor: cluster ${vc.name}: local APIServices: ${(e as Error).message}`));
  for (const cached of vc.cache.scan(resourcePrefix(apiDef))) {
    const cur = availableOf(cached.obj);
    const spec = (cached.obj.spec ?? {}) as Json;
    // Local APIServices are created Available: nothing to do for them unless their condition is not Local's.
    if (spec.service || !cur || cur.reason !== 'Local' || cur.status !== 'True') c.enqueue(String(cached.obj.metadata.name));
  }
  c.enqueue(CONFIG_KEY);
  return () => { for (const stop of stops) stop(); void c.stop(); };
}

