// The host ConfigMaps synced containers read kubelet's variables from: one per
// virtual cluster with the `kubernetes` service's (KUBERNETES_SERVICE_HOST,
// ..., pointing at the kubevisor server), one per virtual namespace with the
// service links of its services. Every container lists them first in
// `envFrom`, so its own envFrom keys and env win over them, as upstream kubelet
// ranks service variables lowest; kubelet reads them when a container starts,
// as upstream computes service variables then.

import type { KubeObject } from '../../api/types.ts';
import { markerAnnotations, markerLabels, virtualIdentity, type SyncTarget } from './markers.ts';
import { hostKubernetesEnvName, hostServiceLinksName } from './names.ts';
import { type ApiServerAddress, kubernetesEnv, serviceLinkEnv } from './pod-env.ts';
import type { EnvFromSource, EnvVar } from './pod-types.ts';

/** The kind their markers record: they stand for no virtual object. */
export const ENV_CONFIG_MAP_KIND = 'ServiceEnv';
/** The names their markers record: the cluster's `kubernetes` variables, a namespace's service links. */
export const KUBERNETES_ENV = 'kubernetes';
export const SERVICE_LINKS_ENV = 'service-links';

/** One of them: the cluster's (`namespace` undefined) or one virtual namespace's. */
export interface EnvConfigMapId { namespace?: string }

export function envConfigMapName(vcluster: string, id: EnvConfigMapId): string {
  return id.namespace === undefined ? hostKubernetesEnvName(vcluster) : hostServiceLinksName(id.namespace, vcluster);
}

function envConfigMap(target: SyncTarget, id: EnvConfigMapId, vars: readonly EnvVar[]): KubeObject {
  const data: Record<string, string> = {};
  for (const e of vars) data[e.name] = e.value ?? '';
  const marker = { metadata: { name: id.namespace === undefined ? KUBERNETES_ENV : SERVICE_LINKS_ENV, namespace: id.namespace } };
  return {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: {
      name: envConfigMapName(target.vcluster, id),
      namespace: target.hostNamespace,
      labels: markerLabels(target.vcluster, id.namespace),
      annotations: markerAnnotations(marker, ENV_CONFIG_MAP_KIND, target.vcluster),
    },
    data,
  };
}

/** The cluster's ConfigMap: the `kubernetes` service variables, pointing at the kubevisor server. */
export function kubernetesEnvConfigMap(target: SyncTarget, api: ApiServerAddress): KubeObject {
  return envConfigMap(target, {}, kubernetesEnv(api));
}

/** A namespace's ConfigMap: the service links of its virtual services (empty when none has a cluster IP). */
export function serviceLinksConfigMap(target: SyncTarget, namespace: string, services: readonly KubeObject[]): KubeObject {
  return envConfigMap(target, { namespace }, serviceLinkEnv(services, namespace));
}

/**
 * What each container's envFrom starts with. Upstream gives the `kubernetes`
 * variables to every pod, with `enableServiceLinks: false` too; a namespace's
 * own service named `kubernetes` comes later and wins, as upstream.
 */
export function injectedEnvFrom(vcluster: string, namespace: string, serviceLinks: boolean): EnvFromSource[] {
  const out: EnvFromSource[] = [{ configMapRef: { name: hostKubernetesEnvName(vcluster) } }];
  if (serviceLinks) out.push({ configMapRef: { name: hostServiceLinksName(namespace, vcluster) } });
  return out;
}

/** Which env ConfigMap of `vcluster` a host object is, by its markers. */
export function envConfigMapOf(hostObj: KubeObject, vcluster: string): EnvConfigMapId | undefined {
  const id = virtualIdentity(hostObj);
  if (!id || id.vcluster !== vcluster || id.kind !== ENV_CONFIG_MAP_KIND) return undefined;
  if (id.name === KUBERNETES_ENV && id.namespace === undefined) return {};
  if (id.name === SERVICE_LINKS_ENV && id.namespace !== undefined) return { namespace: id.namespace };
  return undefined;
}
