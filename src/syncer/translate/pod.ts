// The host copy of a virtual pod. Inside the container everything looks like
// the virtual cluster: its service account tokens, its `kubernetes` service,
// its DNS, its service links, its names; the host pod itself holds no host
// credentials.
//
// Virtual pod fields resolved for the host as literal values: metadata.name,
// metadata.namespace, metadata.uid and spec.serviceAccountName in env
// `fieldRef`s (they never change during a pod's life). Through annotations of
// the host pod: the same fields in downward API volumes, and whole
// metadata.labels / metadata.annotations files (copies in the downward API
// file format; re-translate the pod when its labels or annotations change).

import type { KubeObject } from '../../api/types.ts';
import { deepCopy } from '../../api/json-copy.ts';
import { goQuote } from '../../api/decode/go-text.ts';
import type { Toleration } from '../../nodes/api.ts';
import { ANN_POD_ANNOTATIONS, ANN_POD_LABELS } from './keys.ts';
import { toHostMeta } from './labels.ts';
import type { SyncTarget } from './markers.ts';
import { hostName } from './names.ts';
import { pinnedToNode } from './node-pin.ts';
import { injectedEnvFrom } from './env-config-maps.ts';
import { type ApiServerAddress, toHostContainerEnv, type PodFieldValues } from './pod-env.ts';
import { podHostname, toHostAliases, toHostDns } from './pod-dns.ts';
import type { DNSPolicy, HostAlias, PodContainer, PodDNSConfig, Volume } from './pod-types.ts';
import { type TokenRequest, toHostVolumes } from './pod-volumes.ts';
import {
  type Affinity, type TopologySpreadConstraint, type VirtualNamespace, toHostAffinity, toHostTopologySpread,
} from './selectors.ts';

/** Scheduling fields forced onto every synced pod (hard tenancy). */
export interface EnforcedScheduling {
  /** Merged over the pod's own nodeSelector; these keys win. */
  nodeSelector?: Record<string, string>;
  /** Added to the pod's own tolerations. */
  tolerations?: Toleration[];
  /** Replaces the pod's own runtimeClassName. */
  runtimeClassName?: string;
}

export interface PodContext extends SyncTarget {
  /** Where pods reach the kubevisor server (its `kubernetes` variables live in a ConfigMap, env-config-maps.ts). */
  apiServer: ApiServerAddress;
  /** The DNS server pods use. */
  dnsIP: string;
  /** Default `cluster.local`. */
  clusterDomain?: string;
  /** The host service account the pod runs as (one without tokens). */
  hostServiceAccount: string;
  /** The host Secret holding the pod's virtual tokens, `ca.crt` and `namespace` (see `tokens`). */
  tokenSecretName: string;
  enforced?: EnforcedScheduling;
  /** The host priority class for a synced virtual one; absent or undefined: the class is dropped. */
  priorityClassName?: (virtualName: string) => string | undefined;
  /** The virtual namespaces and their labels, to resolve affinity namespaceSelectors. */
  virtualNamespaces?: readonly VirtualNamespace[];
}

export interface HostPod {
  /** The pod to create: without ephemeral containers, which a create cannot carry. */
  pod: KubeObject;
  /**
   * The virtual pod's ephemeral containers translated as its other containers are
   * (references renamed, env resolved); they reach the host pod through its
   * `ephemeralcontainers` subresource once it exists.
   */
  ephemeralContainers: PodContainer[];
  /** The tokens the syncer must keep in the token Secret (none: the Secret is not needed). */
  tokens: TokenRequest[];
  /** What could not be translated faithfully, for events on the virtual pod. */
  warnings: string[];
}

interface VirtualPodSpec {
  containers?: PodContainer[];
  initContainers?: PodContainer[];
  /** Their targetContainerName names a container of the pod, whose name is the same on the host. */
  ephemeralContainers?: PodContainer[];
  volumes?: Volume[];
  imagePullSecrets?: { name?: string }[];
  serviceAccountName?: string;
  enableServiceLinks?: boolean;
  dnsPolicy?: DNSPolicy;
  dnsConfig?: PodDNSConfig;
  hostNetwork?: boolean;
  hostAliases?: HostAlias[];
  hostname?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  runtimeClassName?: string;
  priorityClassName?: string;
  affinity?: Affinity;
  topologySpreadConstraints?: TopologySpreadConstraint[];
  [field: string]: unknown;
}


/** A map as a downward API file holds it: `key="value"` lines, sorted by key. */
export function formatDownwardMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {}).sort().map((k) => `${k}=${goQuote(m![k])}`).join('\n');
}

function tolerationsWith(own: Toleration[] | undefined, extra: Toleration[]): Toleration[] {
  const out = [...(own ?? [])];
  const seen = new Set(out.map((t) => JSON.stringify(t)));
  for (const t of extra) if (!seen.has(JSON.stringify(t))) out.push(t);
  return out;
}

/** Fields the host must not receive: the host schedules, admits and allocates them itself. */
const dropped = [
  'nodeName', // the host scheduler places the pod (on this node when it is set: node-pin.ts); the binding flows back
  'priority', 'preemptionPolicy', // host admission computes them from the class and rejects mismatches
  'overhead', // likewise, from the host RuntimeClass
  'readinessGates', // set by virtual controllers: Ready is recomputed on the way back
  'ephemeralContainers', // cannot be set on create: HostPod.ephemeralContainers go through the subresource
  'serviceAccount', // deprecated alias of serviceAccountName
  'subdomain', 'setHostnameAsFQDN', // would name the host service and namespace
] as const;

export function toHostPod(vPod: KubeObject, ctx: PodContext): HostPod {
  const m = vPod.metadata;
  const name = m.name ?? '';
  const ns = m.namespace ?? 'default';
  const domain = ctx.clusterDomain ?? 'cluster.local';
  const spec = deepCopy((vPod.spec ?? {}) as VirtualPodSpec);
  const rename = (n: string) => hostName(n, ns, ctx.vcluster);
  const warnings: string[] = [];

  const vt = toHostVolumes(spec.volumes ?? [], name, rename, ctx.tokenSecretName);
  warnings.push(...vt.warnings);
  if (spec.volumes) spec.volumes = vt.volumes;

  const fields: PodFieldValues = { name, namespace: ns, uid: m.uid ?? '', serviceAccountName: spec.serviceAccountName || 'default' };
  const injected = injectedEnvFrom(ctx.vcluster, ns, spec.enableServiceLinks !== false);
  // Volume names stay, so volume mounts (ephemeral containers' too) need nothing.
  const container = (c: PodContainer) => toHostContainerEnv(c, injected, rename, fields);
  if (spec.containers) spec.containers = spec.containers.map(container);
  if (spec.initContainers) spec.initContainers = spec.initContainers.map(container);
  const ephemeralContainers = (spec.ephemeralContainers ?? []).map(container);
  if (spec.imagePullSecrets) spec.imagePullSecrets = spec.imagePullSecrets.map((s) => (s.name ? { ...s, name: rename(s.name) } : s));

  // Bound in the virtual cluster before it ever ran on the host (a tenant's scheduler, or created
  // with a nodeName): the host scheduler places it on that node (node-pin.ts). A pod that ran on
  // the host before (its host pod made again after a pause or a loss) is placed afresh.
  const ranBefore = !!(vPod.status as { hostIP?: string } | undefined)?.hostIP;
  const boundTo = !ranBefore && typeof spec['nodeName'] === 'string' && spec['nodeName'] !== '' ? spec['nodeName'] : undefined;
  for (const f of dropped) delete spec[f];
  if (boundTo) {
    spec.affinity = pinnedToNode(spec.affinity, boundTo);
    delete spec['schedulerName'];
  }
  spec.serviceAccountName = ctx.hostServiceAccount;
  spec.automountServiceAccountToken = false;
  spec.enableServiceLinks = false;

  const dns = toHostDns(spec.dnsPolicy, spec.hostNetwork === true, spec.dnsConfig, ns, { dnsIP: ctx.dnsIP, clusterDomain: domain });
  spec.dnsPolicy = dns.dnsPolicy;
  if (dns.dnsConfig) spec.dnsConfig = dns.dnsConfig; else delete spec.dnsConfig;
  spec.hostAliases = toHostAliases(spec.hostAliases, ctx.apiServer.host, domain);
  if (spec.hostAliases.length === 0) delete spec.hostAliases;
  if (!spec.hostname && spec.hostNetwork !== true) spec.hostname = podHostname(name);

  const pc = spec.priorityClassName ? ctx.priorityClassName?.(spec.priorityClassName) : undefined;
  if (pc) spec.priorityClassName = pc; else delete spec.priorityClassName;
  const e = ctx.enforced;
  if (e?.nodeSelector) spec.nodeSelector = { ...spec.nodeSelector, ...e.nodeSelector };
  if (e?.tolerations?.length) spec.tolerations = tolerationsWith(spec.tolerations, e.tolerations);
  if (e?.runtimeClassName) spec.runtimeClassName = e.runtimeClassName;
  if (spec.affinity) spec.affinity = toHostAffinity(spec.affinity, ctx.vcluster, ns, ctx.virtualNamespaces, warnings);
  if (spec.topologySpreadConstraints) {
    spec.topologySpreadConstraints = toHostTopologySpread(spec.topologySpreadConstraints, ctx.vcluster, ns);
  }
  if (Array.isArray(spec['resourceClaims']) && spec['resourceClaims'].length > 0) {
    warnings.push('resourceClaims name virtual ResourceClaims, which are not synced');
  }

  const extra: Record<string, string> = {};
  if (vt.needsLabels) extra[ANN_POD_LABELS] = formatDownwardMap(m.labels);
  if (vt.needsAnnotations) extra[ANN_POD_ANNOTATIONS] = formatDownwardMap(m.annotations);
  const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: toHostMeta(vPod, 'Pod', ctx, extra), spec };
  return { pod, ephemeralContainers, tokens: vt.tokens, warnings };
}
