// Per-namespace objects the controller-manager keeps in place: the `default`
// ServiceAccount (recreated when deleted) and the `kube-root-ca.crt` ConfigMap
// with the cluster CA (restored when changed or deleted). Namespaces that are
// going away get nothing new.

import { ApiError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import { jsonEqual } from '../../registry/generic/metadata.ts';
import type { ControllerContext } from '../context.ts';
import { Controller } from '../runtime.ts';
import { controllerManager, ignoreExists, ignoreNotFound, namespaceActive } from './util.ts';

export const defaultServiceAccountName = 'default';
export const rootCAConfigMapName = 'kube-root-ca.crt';
export const descriptionAnnotation = 'kubernetes.io/description';
export const rootCADescription = 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints ' +
  'such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

/** A create into a namespace that is terminating or gone is not retried. */
async function createQuietly(p: Promise<unknown>): Promise<void> {
  try {
    await ignoreExists(p);
  } catch (e) {
    if (e instanceof ApiError && (e.code === 403 || e.code === 404)) return;
    throw e;
  }
}

/** Start a controller keyed by namespace name, fed by namespace events and `extra` watches. */
function perNamespace(ctx: ControllerContext, name: string, reconcile: (ns: string) => Promise<void>,
  extra: (c: Controller) => (() => void)[]): () => void {
  const nsDef = ctx.def('', 'v1', 'namespaces');
  const c = new Controller(name, async (ns) => { await reconcile(ns); });
  const unwatch = [
    c.watch(ctx.vc.cache, resourcePrefix(nsDef), (ev) => (ev.type === 'DELETED' ? undefined : ev.obj.metadata.name)),
    ...extra(c),
  ];
  for (const ns of ctx.vc.cache.scan(resourcePrefix(nsDef))) c.enqueue(ns.obj.metadata.name as string);
  return () => { for (const u of unwatch) u(); c.stop(); };
}

/** Keep a `default` ServiceAccount in every active namespace. */
export function startServiceAccountController(ctx: ControllerContext): () => void {
  const nsDef = ctx.def('', 'v1', 'namespaces');
  const saDef = ctx.def('', 'v1', 'serviceaccounts');
  const store = ctx.vc.store;
  return perNamespace(ctx, 'serviceaccount', async (ns) => {
    if (!namespaceActive(store.peek(nsDef, undefined, ns))) return;
    if (store.peek(saDef, ns, defaultServiceAccountName)) return;
    await createQuietly(store.create(saDef, ns, { metadata: { name: defaultServiceAccountName } }, { fieldManager: controllerManager }));
  }, (c) => [
    c.watch(ctx.vc.cache, resourcePrefix(saDef), (ev) =>
      (ev.type === 'DELETED' && ev.obj.metadata.name === defaultServiceAccountName ? ev.obj.metadata.namespace : undefined)),
  ]);
}

/** Publish the cluster CA as `kube-root-ca.crt` in every active namespace. */
export function startRootCAPublisher(ctx: ControllerContext, caPem: string): () => void {
  const nsDef = ctx.def('', 'v1', 'namespaces');
  const cmDef = ctx.def('', 'v1', 'configmaps');
  const store = ctx.vc.store;
  const data = { 'ca.crt': caPem };
  return perNamespace(ctx, 'root-ca-cert-publisher', async (ns) => {
    if (!namespaceActive(store.peek(nsDef, undefined, ns))) return;
    const cm = store.peek(cmDef, ns, rootCAConfigMapName);
    if (!cm) {
      await createQuietly(store.create(cmDef, ns, {
        metadata: { name: rootCAConfigMapName, annotations: { [descriptionAnnotation]: rootCADescription } },
        data,
      }, { fieldManager: controllerManager }));
      return;
    }
    if (upToDate(cm, data)) return;
    await ignoreNotFound(store.guaranteedUpdate(cmDef, ns, rootCAConfigMapName, (cur) => {
      const o = cur as KubeObject;
      o.data = { ...data };
      o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [descriptionAnnotation]: rootCADescription };
      return o;
    }, { fieldManager: controllerManager }));
  }, (c) => [
    c.watch(ctx.vc.cache, resourcePrefix(cmDef), (ev) =>
      (ev.type !== 'ADDED' && ev.obj.metadata.name === rootCAConfigMapName ? ev.obj.metadata.namespace : undefined)),
  ]);
}

/** The data is exactly the CA and the description annotation is there (any text will do, as upstream). */
function upToDate(cm: KubeObject, data: Record<string, string>): boolean {
  return jsonEqual(cm.data ?? {}, data) && !!cm.metadata.annotations?.[descriptionAnnotation];
}
