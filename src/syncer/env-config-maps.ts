// The host ConfigMaps synced containers read kubelet's variables from
// (translate/env-config-maps.ts). They are written before a pod that reads
// them is created: a real kubelet does not wait for a missing envFrom
// ConfigMap as it waits for a volume's, it fails the container
// (CreateContainerConfigError) and tries again only after a back-off. They
// follow the namespace's services (read again at each container start, as
// upstream computes the variables then; running containers keep theirs), are
// restored when changed or deleted on the host, and leave when no synced pod
// reads them. Writes of one ConfigMap run one after another, so a removal and
// a pod's need of it cannot cross.
import type { KubeObject } from '../api/types.ts';
import { resourcePrefix } from '../registry/generic/keys.ts';
import { jsonEqual } from '../registry/generic/metadata.ts';
import { syncKey, type SyncContext } from './context.ts';
import { CONFIGMAPS, FIELD_MANAGER } from './resources.ts';
import { deleteHost, raced } from './sync-errors.ts';
import {
  KUBERNETES_ENV, SERVICE_LINKS_ENV, envConfigMapName, envConfigMapOf, kubernetesEnvConfigMap, serviceLinksConfigMap,
  virtualIdentity, type EnvConfigMapId,
} from './translate/index.ts';

/** The sync key of one env ConfigMap: "serviceenv//kubernetes" or "serviceenv/NS/service-links". */
export function envConfigMapKey(id: EnvConfigMapId): string {
  return syncKey('serviceenv', id.namespace, id.namespace === undefined ? KUBERNETES_ENV : SERVICE_LINKS_ENV);
}

function serviceLinks(pod: KubeObject): boolean {
  return (pod.spec as { enableServiceLinks?: boolean } | undefined)?.enableServiceLinks !== false;
}

/** The env ConfigMaps a pod's containers read. */
export function envConfigMapsOf(pod: KubeObject): EnvConfigMapId[] {
  return serviceLinks(pod) ? [{}, { namespace: pod.metadata.namespace as string }] : [{}];
}

function current(have: KubeObject | undefined, want: KubeObject): boolean {
  return have !== undefined && have['binaryData'] === undefined && jsonEqual(have['data'] ?? {}, want['data'] ?? {}) &&
    jsonEqual(have.metadata.labels ?? {}, want.metadata.labels ?? {}) && jsonEqual(have.metadata.annotations ?? {}, want.metadata.annotations ?? {});
}

function sameId(a: EnvConfigMapId | undefined, b: EnvConfigMapId): boolean {
  return a !== undefined && a.namespace === b.namespace;
}

export class EnvConfigMaps {
  /** The last write queued per host name. */
  private readonly tails = new Map<string, Promise<void>>();
  /** The uid of a copy this syncer deleted, by host name, while the informer may still hold it. */
  private readonly deleted = new Map<string, string>();

  /** Before a host pod is created: the ConfigMaps it reads exist and hold what kubelet would compute now. */
  async ensure(s: SyncContext, pod: KubeObject): Promise<void> {
    await Promise.all(envConfigMapsOf(pod).map((id) => {
      const name = envConfigMapName(s.name, id);
      if (!this.tails.has(name) && current(this.have(s, name), this.want(s, id))) return undefined;
      return this.serially(name, () => this.put(s, name, id));
    }));
  }

  /** Sync key "serviceenv/...": write or remove one; `used` (asked when its turn comes): a synced pod reads it. */
  reconcile(s: SyncContext, namespace: string | undefined, used: () => boolean): Promise<void> {
    const id: EnvConfigMapId = namespace === undefined ? {} : { namespace };
    const name = envConfigMapName(s.name, id);
    return this.serially(name, () => (used() ? this.put(s, name, id) : this.remove(s, name)));
  }

  private serially(name: string, fn: () => Promise<void>): Promise<void> {
    const run = (this.tails.get(name) ?? Promise.resolve()).then(fn);
    const tail = run.catch(() => undefined);
    this.tails.set(name, tail);
    void tail.then(() => { if (this.tails.get(name) === tail) this.tails.delete(name); });
    return run;
  }

  /**
   * What each ConfigMap should hold, by namespace ('' for the cluster's), worked out once
   * and kept until a Service of its namespace changes (servicesChanged): every pod create
   * asks, and the answer costs as much as the namespace has Services.
   */
  private readonly wanted = new Map<string, KubeObject>();

  /** A Service of `namespace` changed: its service-link variables are worked out again when next asked. */
  servicesChanged(namespace: string): void {
    this.wanted.delete(namespace);
  }

  private want(s: SyncContext, id: EnvConfigMapId): KubeObject {
    const key = id.namespace ?? '';
    let want = this.wanted.get(key);
    if (want) return want;
    const target = { vcluster: s.name, hostNamespace: s.hostNamespace };
    if (id.namespace === undefined) want = kubernetesEnvConfigMap(target, s.opts.apiServer);
    else {
      const services = [...s.vc.cache.scan(`${resourcePrefix(s.defs.services)}${id.namespace}/`)].map((c) => c.obj);
      want = serviceLinksConfigMap(target, id.namespace, services);
    }
    this.wanted.set(key, want);
    return want;
  }

  private have(s: SyncContext, name: string): KubeObject | undefined {
    const h = s.hosts.configmaps.get(name);
    const gone = this.deleted.get(name);
    if (gone === undefined) return h;
    if (h?.metadata.uid === gone) return undefined;
    this.deleted.delete(name);
    return h;
  }

  private async put(s: SyncContext, name: string, id: EnvConfigMapId): Promise<void> {
    const want = this.want(s, id);
    let have = this.have(s, name);
    const opts = { fieldManager: FIELD_MANAGER };
    try {
      if (have && !sameId(envConfigMapOf(have, s.name), id)) {
        const owner = virtualIdentity(have)?.vcluster;
        if (owner && owner !== s.name) throw new Error(`the host ConfigMap ${name} belongs to virtual cluster ${owner}`);
        await deleteHost(s.conn, CONFIGMAPS, s.hostNamespace, name, have.metadata.uid);
        have = undefined;
      }
      if (!have) {
        s.hosts.configmaps.observe(await s.conn.create(CONFIGMAPS, s.hostNamespace, want, opts));
      } else if (!current(have, want)) {
        const next: KubeObject = { ...have, metadata: { ...have.metadata, labels: want.metadata.labels, annotations: want.metadata.annotations }, data: want['data'] };
        delete next['binaryData'];
        s.hosts.configmaps.observe(await s.conn.update(CONFIGMAPS, s.hostNamespace, next, opts));
      }
      this.deleted.delete(name);
    } catch (e) {
      // Written meanwhile by someone else: the informer brings it, and this key is looked at again.
      if (raced(e)) { s.enqueue(envConfigMapKey(id)); return; }
      throw e;
    }
  }

  private async remove(s: SyncContext, name: string): Promise<void> {
    const have = this.have(s, name);
    if (!have || !envConfigMapOf(have, s.name)) return;
    await deleteHost(s.conn, CONFIGMAPS, s.hostNamespace, name, have.metadata.uid);
    if (have.metadata.uid) this.deleted.set(name, have.metadata.uid);
  }
}
