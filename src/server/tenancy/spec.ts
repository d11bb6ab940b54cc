// The part of a VirtualCluster object the server acts on, read from its spec
// with defaults applied. Bad values are reported as field errors (the CRD's
// schema catches types; this catches what a schema cannot say).

import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { parseDuration } from '../../api/go-duration.ts';
import { kubernetesMajor, kubernetesMinor } from '../version.ts';

export type StorageBackend = 'sqlite' | 'etcd';

export interface ClusterLimits {
  /** Objects the cluster may hold; creates past it are refused. */
  readonly maxObjects: number | undefined;
  /** Concurrent requests (watches excluded) before 429. */
  readonly maxRequestsInFlight: number;
  /** Open watches before 429. */
  readonly maxWatches: number;
}

/** Where a host kubeconfig comes from: a file on the server's machine, or a Secret in the admin API. */
export type HostKubeconfig =
  | { readonly file: string }
  | { readonly secret: { readonly name: string; readonly namespace: string; readonly key: string } };

/** The host cluster a virtual cluster's workloads run on (the syncer). */
export interface HostSpec {
  readonly kubeconfig: HostKubeconfig;
  /** The kubeconfig context; undefined: its current context. */
  readonly context: string | undefined;
  /** The host namespace the workloads run in. */
  readonly namespace: string;
}

export interface ClusterSpec {
  /** "v1.33.0": what /version and discovery report. */
  readonly kubernetesVersion: string;
  readonly storage: StorageBackend;
  readonly nodes: number;
  readonly paused: boolean;
  /** Idle this long, the cluster goes to sleep (paused until its next request). */
  readonly sleepAfterMs: number | undefined;
  readonly limits: ClusterLimits;
  /** Absent: standalone (simulated nodes run the pods). */
  readonly host: HostSpec | undefined;
}

export const DEFAULT_LIMITS: ClusterLimits = { maxObjects: undefined, maxRequestsInFlight: 64, maxWatches: 1000 };

export const serverVersion = `v${kubernetesMajor}.${kubernetesMinor}.0`;

export function defaultSpec(): ClusterSpec {
  return { kubernetesVersion: serverVersion, storage: 'sqlite', nodes: 0, paused: false, sleepAfterMs: undefined, limits: DEFAULT_LIMITS, host: undefined };
}

/** "1.33", "v1.33", "v1.33.2" -> "v1.33.2" (patch 0 when absent); undefined when malformed. */
export function normalizeVersion(text: string): string | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/.exec(text.trim());
  return m ? `v${m[1]}.${m[2]}.${m[3] ?? '0'}` : undefined;
}

function int(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

/** The spec the server runs a VirtualCluster with, or the errors that stop it. */
export function readSpec(obj: KubeObject): { spec: ClusterSpec; errors: FieldError[] } {
  const raw = (obj.spec ?? {}) as Record<string, unknown>;
  const errs: FieldError[] = [];
  const d = defaultSpec();
  let kubernetesVersion = d.kubernetesVersion;
  if (typeof raw.kubernetesVersion === 'string' && raw.kubernetesVersion !== '') {
    const v = normalizeVersion(raw.kubernetesVersion);
    if (v) kubernetesVersion = v;
    else errs.push({ type: 'FieldValueInvalid', field: 'spec.kubernetesVersion', value: raw.kubernetesVersion, detail: 'must be a version such as "v1.33.0" or "1.33"' });
  }
  const storage = raw.storage === undefined || raw.storage === '' ? d.storage : raw.storage;
  if (storage !== 'sqlite' && storage !== 'etcd') {
    errs.push({ type: 'FieldValueNotSupported', field: 'spec.storage', value: storage, detail: 'supported values: "sqlite", "etcd"' });
  }
  const nodes = raw.nodes === undefined ? 0 : int(raw.nodes);
  if (nodes === undefined || nodes < 0 || nodes > 1000) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.nodes', value: raw.nodes, detail: 'must be a whole number from 0 to 1000' });
  }
  let sleepAfterMs: number | undefined;
  if (typeof raw.sleepAfter === 'string' && raw.sleepAfter !== '') {
    sleepAfterMs = parseDuration(raw.sleepAfter);
    if (sleepAfterMs === undefined || sleepAfterMs < 0) {
      errs.push({ type: 'FieldValueInvalid', field: 'spec.sleepAfter', value: raw.sleepAfter, detail: 'must be a duration such as "30m" or "1h"' });
      sleepAfterMs = undefined;
    } else if (sleepAfterMs === 0) {
      sleepAfterMs = undefined;
    }
  }
  const rawLimits = (raw.limits ?? {}) as Record<string, unknown>;
  const limit = (name: keyof ClusterLimits, fallback: number | undefined): number | undefined => {
    const v = rawLimits[name];
    if (v === undefined) return fallback;
    const n = int(v);
    if (n === undefined || n < 1) {
      errs.push({ type: 'FieldValueInvalid', field: `spec.limits.${name}`, value: v, detail: 'must be a positive whole number' });
      return fallback;
    }
    return n;
  };
  const host = readHost(raw.host, errs);
  if (host && (nodes ?? 0) > 0) {
    errs.push({ type: 'FieldValueForbidden', field: 'spec.nodes', value: raw.nodes, detail: 'simulated nodes are for clusters without a host; the host\'s nodes run this cluster\'s pods' });
  }
  const spec: ClusterSpec = {
    host,
    kubernetesVersion,
    storage: storage === 'etcd' ? 'etcd' : 'sqlite',
    nodes: nodes ?? 0,
    paused: raw.paused === true,
    sleepAfterMs,
    limits: {
      maxObjects: limit('maxObjects', undefined),
      maxRequestsInFlight: limit('maxRequestsInFlight', DEFAULT_LIMITS.maxRequestsInFlight) as number,
      maxWatches: limit('maxWatches', DEFAULT_LIMITS.maxWatches) as number,
    },
  };
  return { spec, errors: errs };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function readHost(v: unknown, errs: FieldError[]): HostSpec | undefined {
  if (v === undefined || v === null) return undefined;
  const raw = v as Record<string, unknown>;
  const file = typeof raw.kubeconfigFile === 'string' && raw.kubeconfigFile !== '' ? raw.kubeconfigFile : undefined;
  const sec = raw.kubeconfigSecret as Record<string, unknown> | undefined;
  const namespace = typeof raw.namespace === 'string' ? raw.namespace : '';
  const before = errs.length;
  if (!DNS_LABEL.test(namespace) || namespace.length > 63) {
    errs.push({ type: namespace === '' ? 'FieldValueRequired' : 'FieldValueInvalid', field: 'spec.host.namespace', value: namespace,
      detail: namespace === '' ? 'the host namespace the workloads run in' : 'must be a namespace name (lower case letters, digits and \'-\', at most 63)' });
  }
  if ((file === undefined) === (sec === undefined)) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.host', value: '', detail: 'give exactly one of kubeconfigFile and kubeconfigSecret' });
  }
  if (sec !== undefined && (typeof sec.name !== 'string' || sec.name === '')) {
    errs.push({ type: 'FieldValueRequired', field: 'spec.host.kubeconfigSecret.name', value: '', detail: 'the Secret holding the host kubeconfig' });
  }
  if (errs.length > before) return undefined;
  const kubeconfig: HostKubeconfig = file !== undefined ? { file } : {
    secret: {
      name: sec!.name as string,
      namespace: typeof sec!.namespace === 'string' && sec!.namespace !== '' ? sec!.namespace : 'default',
      key: typeof sec!.key === 'string' && sec!.key !== '' ? sec!.key : 'config',
    },
  };
  const context = typeof raw.context === 'string' && raw.context !== '' ? raw.context : undefined;
  return { kubeconfig, context, namespace };
}
