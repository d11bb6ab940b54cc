// What every sync function of one virtual cluster works with.
import type { KubeObject } from '../api/types.ts';
import type { ResourceDef } from '../registry/types.ts';
import type { VirtualCluster } from '../server/cluster.ts';
import type { ControllerContext } from '../controllers/context.ts';
import type { HostConnection, HostInformer } from './host/index.ts';
import type { WatchedKind } from './resources.ts';
import type { EnforcedScheduling, TokenRequest } from './translate/index.ts';
import type { FromHost } from './from-host.ts';
import type { EnvConfigMaps } from './env-config-maps.ts';
import type { EphemeralRefusals } from './ephemeral-containers.ts';

export interface SyncerOptions {
  /** Where synced pods reach this kubevisor server (their KUBERNETES_SERVICE_HOST/PORT). */
  readonly apiServer: { readonly host: string; readonly port: number };
  /** The DNS server synced pods use. */
  readonly dnsIP: string;
  readonly clusterDomain?: string;
  /** Reconciles under way at once per virtual cluster. */
  readonly workers?: number;
}

export interface SyncContext {
  /** The virtual cluster's name. */
  readonly name: string;
  readonly vc: VirtualCluster;
  readonly ctl: ControllerContext;
  readonly hostNamespace: string;
  readonly conn: HostConnection;
  readonly hosts: { readonly [K in WatchedKind]: HostInformer };
  readonly defs: {
    readonly pods: ResourceDef; readonly services: ResourceDef; readonly configmaps: ResourceDef;
    readonly secrets: ResourceDef; readonly pvcs: ResourceDef; readonly nodes: ResourceDef; readonly namespaces: ResourceDef;
  };
  readonly opts: SyncerOptions;
  readonly enforced: EnforcedScheduling | undefined;
  /** The virtual object, from the watch cache. */
  peek(def: ResourceDef, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Queue a sync key ("pod/NS/NAME", "configmap/NS/NAME", ...). */
  enqueue(key: string): void;
  /** What of each virtual pod was last sent down (by pod key), so status-only changes skip it. */
  readonly sentDown: Map<string, PodFingerprint>;
  /** Ephemeral containers of virtual pods the host refused (by pod key), asked again only after a backoff. */
  readonly ephemeralRefused: Map<string, EphemeralRefusals>;
  /** The scheduler names the host runs (spec.host.sync.hostSchedulers): pods naming others wait for a binding in the virtual cluster. */
  readonly hostSchedulers: readonly string[];
  /** Uids of host pods the syncer deleted to make them again pinned to a node bound since: their deletion loses no pod. */
  readonly replacedHostPods: Set<string>;
  /** Virtual pods (by pod key, with their uid) told once that their binding came after the host placed them elsewhere. */
  readonly placementWarned: Map<string, string | undefined>;
  /** A host pod of this cluster has these IPs now (empty: it is gone), for the DNS server. */
  podIPs(hostPod: string, ips: readonly string[]): void;
  /** What the cluster copies from the host (classes, volumes, node data). */
  readonly fromHost: FromHost;
  /** The host ConfigMaps synced containers read kubelet's variables from. */
  readonly envConfigMaps: EnvConfigMaps;
  /** The host priority class a synced pod naming virtual class `name` gets; undefined: the pod's class is dropped. */
  hostPriorityClass(name: string): string | undefined;
  /** Before a pod naming virtual class `name` is created: its host copy exists, when one is made. */
  ensureHostPriorityClass(name: string): Promise<void>;
}

export type SyncKind = 'pod' | 'configmap' | 'secret' | 'pvc' | 'service' | 'endpoints' | 'node' | 'fromhost'
  | 'serviceenv' | 'ingress' | 'networkpolicy' | 'pdb' | 'priorityclass';

export function syncKey(kind: SyncKind, namespace: string | undefined, name: string): string {
  return namespace === undefined ? `${kind}//${name}` : `${kind}/${namespace}/${name}`;
}

export function parseSyncKey(key: string): { kind: SyncKind; namespace: string | undefined; name: string } {
  const [kind, ns, ...rest] = key.split('/');
  return { kind: kind as SyncKind, namespace: ns === '' ? undefined : ns, name: rest.join('/') };
}

/** The parts of a virtual pod that flow down once it runs. */
export interface PodFingerprint {
  readonly uid: string | undefined;
  /** Labels and annotations as JSON. */
  readonly labels: string;
  readonly annotations: string;
  readonly rest: string;
  /** The tokens the pod's token Secret holds. */
  readonly tokens: readonly TokenRequest[];
}
