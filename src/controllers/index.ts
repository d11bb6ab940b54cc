// The controllers every virtual cluster runs, started when the server opens the
// cluster. Each starter returns a stop function; a controller that fails a
// reconcile is retried with backoff and logged by the runtime, and never stops
// the server or the other controllers.

import type { VirtualCluster } from '../server/cluster.ts';
import { resourcePrefix } from '../registry/generic/keys.ts';
import { namespaceController } from './namespace.ts';
import { startCrdControllers } from './crd.ts';
import { controllerContext, type ControllerContext } from './context.ts';
import { startScheduler } from './scheduler/index.ts';
import { startNodeLifecycleController, startSimulatedMetrics, startSimulatedNodes } from '../nodes/index.ts';
import { serviceAllocator, startCoreControllers, startKubernetesServiceController, type APIServerEndpoint } from './core/index.ts';
import { validateNonSpecialIP } from '../api/validation/ip.ts';
import { startPolicy } from './policy/index.ts';
import { startDeploymentController } from './workloads/deployment.ts';
import { startReplicaSetController } from './workloads/replicaset.ts';
import { startClusterRoleAggregationController } from './rbac/aggregation.ts';
import type { HorizontalOptions } from './autoscaling/index.ts';

export interface StandaloneOptions {
  /** Simulated nodes that run pods (standalone mode). */
  nodes: number;
  /** PEM of the cluster CA, published as kube-root-ca.crt in every namespace. */
  caCert: string;
  /**
   * A host cluster runs the pods (the syncer): no scheduler, node lifecycle or
   * local Service IP allocation here (the host schedules and allocates).
   */
  hosted?: boolean;
  /** The pod CIDR simulated nodes take their /24s from (default 10.244.0.0/16). */
  podCIDR?: string;
  /**
   * Where the pods of a hosted cluster reach its API server (the syncer's address for them),
   * read at each use: default/kubernetes takes it as its ClusterIP, and its endpoints.
   */
  apiServer?: APIServerEndpoint;
  /** The HPA controller's timing and tolerance (kube-controller-manager's --horizontal-pod-autoscaler-* flags). */
  horizontalPodAutoscaler?: HorizontalOptions;
}

/** The API server as an endpoint of default/kubernetes: not when endpoints may not hold its IP (loopback, link-local). */
function asEndpoint(api: APIServerEndpoint | undefined): APIServerEndpoint | undefined {
  return api && validateNonSpecialIP('ip', api.ip).length === 0 ? api : undefined;
}

/** The controllers of a standalone cluster, for ServerOptions.onClusterOpen. */
export function startControllers(opts: StandaloneOptions): (vc: VirtualCluster) => () => void {
  return (vc) => startClusterControllers(vc, opts);
}

type Starter = (ctx: ControllerContext) => () => void;

/**
 * A controller that starts (and loads its code) only once an object of its
 * kind exists: most clusters never use many kinds, and an idle server should
 * not hold their controllers.
 */
function onFirst(group: string, version: string, plural: string, load: () => Promise<Starter>): Starter {
  return (ctx) => {
    const def = ctx.vc.registry.find(group, version, plural);
    if (!def) return () => {};
    const prefix = resourcePrefix(def);
    let stop: (() => void) | undefined;
    let stopped = false;
    let unsubscribe: (() => void) | undefined;
    const begin = () => {
      unsubscribe?.();
      unsubscribe = undefined;
      load().then((start) => { if (!stopped) stop = start(ctx); })
        .catch((e: unknown) => console.error(`kubevisor: the ${plural} controller failed to start: ${(e as Error).message}`));
    };
    if (ctx.vc.cache.count(prefix) > 0) begin();
    else unsubscribe = ctx.vc.cache.subscribe({ prefix, onEvent: () => { if (unsubscribe) begin(); } });
    return () => { stopped = true; unsubscribe?.(); stop?.(); };
  };
}

function startNamespaceController(ctx: ControllerContext): () => void {
  const { vc } = ctx;
  const nsDef = ctx.def('', 'v1', 'namespaces');
  const ns = namespaceController(vc.store, vc.registry);
  const unwatch = ns.watch(vc.cache, resourcePrefix(nsDef), (ev) => ev.obj.metadata.name);
  // Namespaces already terminating when the server starts.
  for (const c of vc.cache.scan(resourcePrefix(nsDef))) {
    if (c.obj.metadata.deletionTimestamp) ns.enqueue(c.obj.metadata.name as string);
  }
  return () => { unwatch(); ns.stop(); };
}

/** The controllers of the admin API's own cluster: namespaces, CRDs and garbage collection. */
export function startAdminControllers(vc: VirtualCluster): () => void {
  const ctx = controllerContext(vc);
  const stops = [startNamespaceController(ctx), startClusterRoleAggregationController(ctx), startCrdControllers(vc)];
  return () => { for (const stop of stops.reverse()) stop(); };
}

/** Start a cluster's controllers; returns a function that stops them. */
export function startClusterControllers(vc: VirtualCluster, opts: StandaloneOptions): () => void {
  const ctx = controllerContext(vc);
  const starters: Starter[] = [
    // Admission first: ClusterIP/NodePort allocation, then limit ranges and quota.
    (c) => {
      if (opts.hosted) return () => {};
      const alloc = serviceAllocator(c);
      c.vc.store.admission.push(alloc.admission());
      return () => alloc.stop();
    },
    startPolicy,
    (c) => startCoreControllers(c, { caPem: opts.caCert, apiServer: asEndpoint(opts.apiServer) }).stop,
    (c) => (opts.hosted && opts.apiServer ? startKubernetesServiceController(c, opts.apiServer) : () => {}),
    startNamespaceController,
    startClusterRoleAggregationController,
    (c) => startCrdControllers(c.vc),
    startDeploymentController,
    startReplicaSetController,
    onFirst('', 'v1', 'replicationcontrollers', async () => (await import('./workloads/replicaset.ts')).startReplicationControllerController),
    onFirst('apps', 'v1', 'statefulsets', async () => (await import('./apps/index.ts')).startStatefulSetController),
    onFirst('apps', 'v1', 'daemonsets', async () => (await import('./apps/index.ts')).startDaemonSetController),
    onFirst('batch', 'v1', 'jobs', async () => {
      const m = await import('./batch/index.ts');
      return (c) => { const a = m.startJobController(c); const b = m.startTTLAfterFinishedController(c); return () => { a(); b(); }; };
    }),
    onFirst('batch', 'v1', 'cronjobs', async () => (await import('./batch/index.ts')).startCronJobController),
    onFirst('certificates.k8s.io', 'v1', 'certificatesigningrequests', async () => (await import('./certificates/index.ts')).startCertificateControllers),
    onFirst('autoscaling', 'v2', 'horizontalpodautoscalers', async () => {
      const { startHorizontalPodAutoscalerController } = await import('./autoscaling/index.ts');
      return (c) => startHorizontalPodAutoscalerController(c, opts.horizontalPodAutoscaler);
    }),
    onFirst('admissionregistration.k8s.io', 'v1', 'validatingadmissionpolicies', async () => (await import('./admission/policy-status.ts')).startPolicyStatusController),
    // The aggregator's: availability of APIServices, the Local APIServices of CRDs, extension-apiserver-authentication.
    onFirst('apiregistration.k8s.io', 'v1', 'apiservices', async () => (await import('./apiregistration/index.ts')).startAPIServiceControllers),
  ];
  // Standalone mode: the scheduler and simulated nodes run the pods (and report their usage to the Metrics API).
  if (!opts.hosted) starters.push(startScheduler, startNodeLifecycleController, startSimulatedMetrics);
  if (opts.nodes > 0) starters.push((c) => startSimulatedNodes(c, { count: opts.nodes, podCIDR: opts.podCIDR }));
  const stops: (() => void)[] = [];
  for (const start of starters) {
    try {
      stops.push(start(ctx));
    } catch (e) {
      console.error(`kubevisor: a controller failed to start: ${(e as Error).message}`);
    }
  }
  return () => { for (const stop of stops.reverse()) stop(); };
}
