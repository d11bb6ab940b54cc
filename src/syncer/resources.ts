// The host kinds the syncer reads and writes, by resource name (no discovery).
import type { HostResource } from './host/index.ts';

export const PODS: HostResource = { apiVersion: 'v1', plural: 'pods' };
export const SERVICES: HostResource = { apiVersion: 'v1', plural: 'services' };
export const CONFIGMAPS: HostResource = { apiVersion: 'v1', plural: 'configmaps' };
export const SECRETS: HostResource = { apiVersion: 'v1', plural: 'secrets' };
export const PVCS: HostResource = { apiVersion: 'v1', plural: 'persistentvolumeclaims' };
export const SERVICEACCOUNTS: HostResource = { apiVersion: 'v1', plural: 'serviceaccounts' };
export const EVENTS: HostResource = { apiVersion: 'v1', plural: 'events' };

/** The host kinds with one shared informer per host namespace. */
export const WATCHED = { pods: PODS, services: SERVICES, configmaps: CONFIGMAPS, secrets: SECRETS, pvcs: PVCS } as const;
export type WatchedKind = keyof typeof WATCHED;

/** The syncer's field manager, on both sides. */
export const FIELD_MANAGER = 'kubevisor-syncer';

/** The host service account synced pods run as: no tokens, no permissions. */
export const WORKLOAD_SERVICE_ACCOUNT = 'kubevisor-workload';
