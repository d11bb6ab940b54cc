// The host side of the syncer: a connection to the host cluster, shared
// informers on it, and leader election among kubevisor replicas. Importing
// this module does not load @kubernetes/client-node; the first
// `HostConnection.connect` does.

export {
  HostConnection,
  type ConnectOptions, type DeleteOptions, type HostResource, type HostWatch, type KubeconfigSource, type ListOptions,
  type PatchOptions, type PatchType, type PodStreamSubresource, type StreamRequest, type Upgraded, type WatchEvent,
  type WatchEventType, type WatchOptions, type WriteOptions,
} from './connection.ts';
export { HostError } from './errors.ts';
export { HostInformer, HostInformers, type InformerHandlers, type InformerHealth, type InformerOptions } from './informer.ts';
export { LEASES, LeaderElector, type LeaderElectionOptions } from './leader.ts';
export { backoffDelay, defaultBackoff, type Backoff } from './backoff.ts';
export { clientNodeLoaded } from './client-node.ts';
