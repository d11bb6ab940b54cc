// The syncer: runs the workloads of this server's virtual clusters on host
// clusters. One Syncer serves every virtual cluster of the server; each that
// names a host gets a ClusterSyncer, sharing the host's connection and its
// informers with the others on the same host.
import { errors } from '../api/errors.ts';
import type { AdmissionPlugin } from '../registry/generic/admission.ts';
import type { VirtualCluster } from '../server/cluster.ts';
import type { HostSpec } from '../server/tenancy/spec.ts';
import { backoffDelay, defaultBackoff, type KubeconfigSource } from './host/index.ts';
import { sleep } from './host/backoff.ts';
import { ClusterSyncer } from './cluster-syncer.ts';
import type { SyncerOptions } from './context.ts';
import { HostPool } from './hosts.ts';
import { attachHostPodStreams } from './streams.ts';
import { hostName, standsFor } from './translate/index.ts';

export type { SyncerOptions } from './context.ts';

export interface ServerSyncerOptions extends SyncerOptions {
  /** The text of a kubeconfig Secret in the admin API (spec.host.kubeconfigSecret). */
  readSecret(namespace: string, name: string, key: string): Promise<string | undefined>;
}

/** Why a cluster's syncing stops: the phase the cluster closes into. */
export type StopReason = 'Pending' | 'Running' | 'Paused' | 'Sleeping' | 'Terminating' | 'Failed';

export class Syncer {
  private readonly opts: ServerSyncerOptions;
  private readonly pool = new HostPool();
  private readonly clusters = new Map<string, ClusterSyncer>();

  constructor(opts: ServerSyncerOptions) {
    this.opts = opts;
  }

  /** The syncer of a cluster, while it runs (tests, status). */
  cluster(name: string): ClusterSyncer | undefined {
    return this.clusters.get(name);
  }

  private async source(host: HostSpec): Promise<KubeconfigSource> {
    const k = host.kubeconfig;
    if ('file' in k) return { file: k.file };
    const text = await this.opts.readSecret(k.secret.namespace, k.secret.name, k.secret.key);
    if (text === undefined) throw new Error(`secret ${k.secret.namespace}/${k.secret.name} has no key ${k.secret.key}`);
    return { text };
  }

  /**
   * Sync `vc` to its host. Connecting happens in the background, retried with
   * backoff while the host cannot be reached: the cluster serves meanwhile.
   * Returns what stops it; pausing removes its pods from the host, deleting
   * removes everything it put there.
   */
  attach(vc: VirtualCluster, host: HostSpec): (reason: StopReason) => Promise<void> {
    const abort = new AbortController();
    let current: ClusterSyncer | undefined;
    // Services get their cluster IPs from the host: none can be made until it is connected.
    const admission: AdmissionPlugin = {
      name: 'HostServiceAllocation',
      admit: async (...args) => {
        if (!(args[1].group === '' && args[1].plural === 'services')) return;
        const a = this.clusters.get(vc.name) === current ? current?.admission : undefined;
        if (!a) {
          if ((args[3].spec as { type?: string } | undefined)?.type === 'ExternalName') return;
          if (args[3].metadata.namespace === 'default' && args[3].metadata.name === 'kubernetes') return;
          throw errors.serviceUnavailable(`the virtual cluster is not connected to its host cluster yet (namespace ${host.namespace}); try again`);
        }
        await a.admit?.(...args);
      },
      aborted: (...args) => current?.admission?.aborted?.(...args),
      deleted: (...args) => current?.admission?.deleted?.(...args),
    };
    vc.store.admission.push(admission);
    // logs, exec, attach and port-forward go to the host pod.
    attachHostPodStreams(vc, (namespace, name) => {
      const cs = this.clusters.get(vc.name);
      if (!cs) return undefined;
      const hName = hostName(name, namespace, vc.name);
      const h = cs.ctx.hosts.pods.get(hName);
      const v = cs.ctx.peek(cs.ctx.defs.pods, namespace, name);
      if (!h || !v || !standsFor(h, v, 'Pod', vc.name)) return undefined;
      return { conn: cs.ctx.conn, namespace: cs.ctx.hostNamespace, name: hName };
    }, { signal: abort.signal });
    const started = (async () => {
      for (let failures = 0; !abort.signal.aborted; failures++) {
        let cs: ClusterSyncer | undefined;
        try {
          const link = await this.pool.acquire(await this.source(host), host.context);
          cs = new ClusterSyncer(vc, link, host, this.opts);
          if (abort.signal.aborted) { cs.release(); return; }
          current = cs;
          await cs.start();
          this.clusters.set(vc.name, cs);
          return;
        } catch (e) {
          if (cs) { await cs.stop(); cs.release(); current = undefined; }
          if (failures === 0 || failures % 10 === 0) console.error(`kubevisor: syncer ${vc.name}: host ${host.namespace}: ${(e as Error).message}`);
          await sleep(backoffDelay(failures + 1, defaultBackoff), abort.signal);
        }
      }
    })();
    return async (reason) => {
      abort.abort();
      const i = vc.store.admission.indexOf(admission);
      if (i >= 0) vc.store.admission.splice(i, 1);
      await started;
      const cs = current;
      if (!cs) return;
      if (this.clusters.get(vc.name) === cs) this.clusters.delete(vc.name);
      await cs.stop();
      try {
        if (reason === 'Terminating') await cs.removeFromHost('all');
        else if (reason === 'Paused' || reason === 'Sleeping') await cs.removeFromHost('pods');
      } catch (e) {
        console.error(`kubevisor: syncer ${vc.name}: cleaning up the host: ${(e as Error).message}`);
      } finally {
        cs.release();
      }
    };
  }

  close(): void {
    this.pool.closeAll();
  }
}
