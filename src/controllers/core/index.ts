// The core controllers of kube-controller-manager (and the two things
// kube-apiserver keeps itself: service IP/port allocation and the endpoints of
// default/kubernetes), and one call that starts them all.

import type { ControllerContext } from '../context.ts';
import type { APIServerEndpoint } from './endpoint-util.ts';
import { startEndpointsController } from './endpoints.ts';
import { startEndpointSliceController } from './endpointslice.ts';
import { startGarbageCollector, type GarbageCollector } from './gc.ts';
import { startPodGC, type PodGCOptions } from './podgc.ts';
import { startRootCAPublisher, startServiceAccountController } from './serviceaccounts.ts';

export { startGarbageCollector, foregroundFinalizer, orphanFinalizer, type GarbageCollector } from './gc.ts';
export { startServiceAccountController, startRootCAPublisher, rootCAConfigMapName, rootCADescription } from './serviceaccounts.ts';
export { startEndpointsController, type EndpointsControllerOptions } from './endpoints.ts';
export { startEndpointSliceController, type EndpointSliceControllerOptions } from './endpointslice.ts';
export { type APIServerEndpoint } from './endpoint-util.ts';
export { ServiceAllocator, serviceAllocator, type Allocation, type ServiceAllocatorOptions } from './ipalloc.ts';
export { startPodGC, type PodGCOptions } from './podgc.ts';
export { startKubernetesServiceController } from './kubernetes-service.ts';

export interface CoreControllerOptions {
  /** The cluster CA (PEM) to publish as kube-root-ca.crt; not published when absent. */
  caPem?: string;
  /** Where the API server listens, for the endpoints of default/kubernetes; left alone when absent. */
  apiServer?: APIServerEndpoint;
  podGC?: PodGCOptions;
}

export interface CoreControllers {
  gc: GarbageCollector;
  stop(): void;
}

/** Start the garbage collector, service accounts, root CA, endpoints, endpoint slices and pod GC. */
export function startCoreControllers(ctx: ControllerContext, opts: CoreControllerOptions = {}): CoreControllers {
  const gc = startGarbageCollector(ctx);
  const stops = [
    gc,
    startServiceAccountController(ctx),
    startEndpointsController(ctx, { apiServer: opts.apiServer }),
    startEndpointSliceController(ctx, { apiServer: opts.apiServer }),
    startPodGC(ctx, opts.podGC),
  ];
  if (opts.caPem !== undefined) stops.push(startRootCAPublisher(ctx, opts.caPem));
  return { gc, stop: () => { for (const s of stops) s(); } };
}
