// The part of a VirtualCluster object the server acts on, read from its spec
// with defaults applied. Bad values are reported as field errors (the CRD's
// schema catches types; this catches what a schema cannot say).

import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { parseDuration } from '../../api/go-duration.ts';
import { isPlainObject } from '../../api/types.ts';
import { isDNS1123Subdomain } from '../../api/validation/names.ts';
import { validateLabels } from '../../api/validation/objectmeta.ts';
import { validateTolerations } from '../../api/validation/pod-scheduling.ts';
import {
  parseQuantityAt, validateQuotaResourceName, validateResourceName, validateResourceQuantityValue,
} from '../../api/validation/resources.ts';
import type { Toleration } from '../../nodes/api.ts';
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

export const POD_SECURITY_LEVELS = ['privileged', 'baseline', 'restricted'] as const;
/** A Pod Security Standard, least to most strict. */
export type PodSecurityLevel = typeof POD_SECURITY_LEVELS[number];

/** Pod Security Admission modes for the host namespace; an absent mode is not set. */
export interface PodSecurityModes {
  readonly enforce: PodSecurityLevel;
  readonly audit: PodSecurityLevel | undefined;
  readonly warn: PodSecurityLevel | undefined;
}

export const LIMIT_TYPES = ['Container', 'Pod', 'PersistentVolumeClaim'] as const;
export type LimitType = typeof LIMIT_TYPES[number];

/** A core/v1 LimitRangeItem (quantities as strings). */
export interface LimitRangeItem {
  readonly type: LimitType;
  readonly max?: Readonly<Record<string, string>>;
  readonly min?: Readonly<Record<string, string>>;
  readonly default?: Readonly<Record<string, string>>;
  readonly defaultRequest?: Readonly<Record<string, string>>;
  readonly maxLimitRequestRatio?: Readonly<Record<string, string>>;
}

/** How the virtual cluster's host pods are kept apart from others. */
export interface HostIsolation {
  /** NetworkPolicies: its pods reach each other, the kubevisor server, DNS and the internet only. */
  readonly networkPolicy: boolean;
  /** Hard tenancy: forced onto every synced pod (PodContext.enforced). */
  readonly nodeSelector: Readonly<Record<string, string>> | undefined;
  readonly tolerations: readonly Toleration[] | undefined;
  readonly runtimeClassName: string | undefined;
}

/** The host cluster a virtual cluster's workloads run on (the syncer). */
export interface HostSpec {
  readonly kubeconfig: HostKubeconfig;
  /** The kubeconfig context; undefined: its current context. */
  readonly context: string | undefined;
  /** The host namespace the workloads run in. */
  readonly namespace: string;
  /** A host ResourceQuota's `hard` (resource name -> quantity); undefined: none. */
  readonly quota: Readonly<Record<string, string>> | undefined;
  /** A host LimitRange's `limits`; undefined: none. */
  readonly limitRange: readonly LimitRangeItem[] | undefined;
  readonly podSecurity: PodSecurityModes;
  readonly isolation: HostIsolation;
  readonly sync: HostSync;
}

/** Optional kinds the syncer copies to the host (beyond pods, services, endpoints and what pods use). */
export interface SyncToHost {
  /** Every config map, not only those synced pods use. */
  readonly allConfigMaps: boolean;
  /** Every secret, not only those synced pods use. */
  readonly allSecrets: boolean;
  readonly ingresses: boolean;
  /** Translated so they select only this virtual cluster's pods. */
  readonly networkPolicies: boolean;
  readonly podDisruptionBudgets: boolean;
  readonly priorityClasses: boolean;
}

/** Kinds the syncer copies from the host into the virtual cluster. */
export interface SyncFromHost {
  /** Persistent volumes bound to synced claims (on by default). */
  readonly persistentVolumes: boolean;
  readonly storageClasses: boolean;
  readonly ingressClasses: boolean;
  readonly priorityClasses: boolean;
}

/** What the virtual nodes standing for host nodes show: made-up data, or the host node's own. */
export type NodeData = 'fake' | 'real';

export interface HostSync {
  readonly toHost: SyncToHost;
  readonly fromHost: SyncFromHost;
  readonly nodes: NodeData;
  /**
   * The scheduler names the host runs: an unbound virtual pod naming one of them
   * (an empty schedulerName is default-scheduler) goes to the host at once; one
   * naming another is held until the virtual cluster binds it (a tenant's own
   * scheduler), then goes pinned to that node.
   */
  readonly hostSchedulers: readonly string[];
  /**
   * Every host node (that the enforced node selector and tolerations let the
   * cluster's pods onto) appears as a virtual node, not only those running a
   * synced pod: what a tenant's scheduler chooses among.
   */
  readonly allNodes: boolean;
}

export const DEFAULT_HOST_SCHEDULERS: readonly string[] = ['default-scheduler'];

export const DEFAULT_SYNC: HostSync = {
  toHost: { allConfigMaps: false, allSecrets: false, ingresses: false, networkPolicies: false, podDisruptionBudgets: false, priorityClasses: false },
  fromHost: { persistentVolumes: true, storageClasses: false, ingressClasses: false, priorityClasses: false },
  nodes: 'fake',
  hostSchedulers: DEFAULT_HOST_SCHEDULERS,
  allNodes: false,
};

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
  const guardrails = readGuardrails(raw, errs);
  const sync = readSync(raw.sync, 'spec.host.sync', errs);
  if (errs.length > before) return undefined;
  const kubeconfig: HostKubeconfig = file !== undefined ? { file } : {
    secret: {
      name: sec!.name as string,
      namespace: typeof sec!.namespace === 'string' && sec!.namespace !== '' ? sec!.namespace : 'default',
      key: typeof sec!.key === 'string' && sec!.key !== '' ? sec!.key : 'config',
    },
  };
  const context = typeof raw.context === 'string' && raw.context !== '' ? raw.context : undefined;
  return { kubeconfig, context, namespace, ...guardrails, sync };
}

function readFlags<T extends object>(v: unknown, path: string, defaults: T, errs: FieldError[]): T {
  const o = objectAt(v, path, errs);
  if (!o) return defaults;
  const out = { ...defaults } as Record<string, boolean>;
  for (const [k, val] of Object.entries(o)) {
    if (!(k in defaults)) {
      errs.push({ type: 'FieldValueNotSupported', field: `${path}.${k}`, value: k, detail: `supported fields: ${Object.keys(defaults).map((n) => `"${n}"`).join(', ')}` });
    } else if (val === undefined || val === null) {
      continue;
    } else if (typeof val !== 'boolean') {
      errs.push({ type: 'FieldValueTypeInvalid', field: `${path}.${k}`, value: val, detail: 'must be true or false' });
    } else {
      out[k] = val;
    }
  }
  return out as T;
}

/** The optional kinds synced each way, the virtual nodes, and the schedulers the host runs. */
function readSync(v: unknown, path: string, errs: FieldError[]): HostSync {
  const o = objectAt(v, path, errs) ?? {};
  const toHost = readFlags(o.toHost, `${path}.toHost`, DEFAULT_SYNC.toHost, errs);
  const fromHost = readFlags(o.fromHost, `${path}.fromHost`, DEFAULT_SYNC.fromHost, errs);
  let nodes: NodeData = DEFAULT_SYNC.nodes;
  if (o.nodes !== undefined && o.nodes !== null && o.nodes !== '') {
    if (o.nodes === 'fake' || o.nodes === 'real') nodes = o.nodes;
    else errs.push({ type: 'FieldValueNotSupported', field: `${path}.nodes`, value: o.nodes, detail: 'supported values: "fake", "real"' });
  }
  let allNodes = DEFAULT_SYNC.allNodes;
  if (o.allNodes !== undefined && o.allNodes !== null) {
    if (typeof o.allNodes === 'boolean') allNodes = o.allNodes;
    else errs.push({ type: 'FieldValueTypeInvalid', field: `${path}.allNodes`, value: o.allNodes, detail: 'must be true or false' });
  }
  const hostSchedulers = readSchedulerNames(o.hostSchedulers, `${path}.hostSchedulers`, errs);
  return { toHost, fromHost, nodes, hostSchedulers, allNodes };
}

/**
 * Scheduler names, as a pod's spec.schedulerName must be (DNS subdomains),
 * each once. Absent or null: the default (the host's default-scheduler); an
 * empty list is kept (every unbound pod waits for a binding in the virtual cluster).
 */
function readSchedulerNames(v: unknown, path: string, errs: FieldError[]): readonly string[] {
  if (v === undefined || v === null) return DEFAULT_HOST_SCHEDULERS;
  if (!Array.isArray(v)) {
    errs.push({ type: 'FieldValueTypeInvalid', field: path, value: v, detail: 'must be a list of scheduler names' });
    return DEFAULT_HOST_SCHEDULERS;
  }
  const out: string[] = [];
  v.forEach((name, i) => {
    const at = `${path}[${i}]`;
    if (typeof name !== 'string') {
      errs.push({ type: 'FieldValueTypeInvalid', field: at, value: name, detail: 'must be a scheduler name (a string)' });
    } else if (name === '') {
      errs.push({ type: 'FieldValueRequired', field: at, value: name, detail: 'a scheduler name, such as "default-scheduler"' });
    } else if (out.includes(name)) {
      errs.push({ type: 'FieldValueDuplicate', field: at, value: name, detail: 'each scheduler is named once' });
    } else {
      const problems = isDNS1123Subdomain(name);
      if (problems.length > 0) errs.push({ type: 'FieldValueInvalid', field: at, value: name, detail: problems.join('; ') });
      else out.push(name);
    }
  });
  return out;
}

type Guardrails = Pick<HostSpec, 'quota' | 'limitRange' | 'podSecurity' | 'isolation'>;

// The host guardrails (quota, limit range, pod security, isolation). The
// schema catches types; this catches resource names, quantities, levels,
// label syntax and toleration rules, so a bad spec is refused here and not
// by the host on every sync.
function readGuardrails(raw: Record<string, unknown>, errs: FieldError[]): Guardrails {
  const quota = readQuota(raw.quota, 'spec.host.quota', errs);
  const limitRange = readLimitRange(raw.limitRange, 'spec.host.limitRange', errs);
  const podSecurity = readPodSecurity(raw.podSecurity, 'spec.host.podSecurity', errs);
  const isolation = readIsolation(raw.isolation, 'spec.host.isolation', errs);
  return { quota, limitRange, podSecurity, isolation };
}

function objectAt(v: unknown, path: string, errs: FieldError[]): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (isPlainObject(v)) return v;
  errs.push({ type: 'FieldValueTypeInvalid', field: path, value: v, detail: 'must be an object' });
  return undefined;
}

/** A resource list: every name checked by `nameCheck`, every value a non-negative quantity. */
function readResourceMap(v: unknown, path: string, errs: FieldError[], nameCheck: (name: string, path: string) => FieldError[]): Record<string, string> | undefined {
  const m = objectAt(v, path, errs);
  if (!m) return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(m)) {
    const at = `${path}[${name}]`;
    const nameErrs = nameCheck(name, at);
    errs.push(...nameErrs);
    const q = parseQuantityAt(value, at, errs);
    if (!q || nameErrs.length > 0) continue;
    const valueErrs = validateResourceQuantityValue(name, q, at);
    errs.push(...valueErrs);
    if (valueErrs.length === 0) out[name] = String(value);
  }
  return out;
}

function readQuota(v: unknown, path: string, errs: FieldError[]): Record<string, string> | undefined {
  const hard = readResourceMap(v, path, errs, validateQuotaResourceName);
  return hard && Object.keys(hard).length > 0 ? hard : undefined;
}

const LIMIT_MAPS = ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const;

function readLimitRange(v: unknown, path: string, errs: FieldError[]): LimitRangeItem[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) {
    errs.push({ type: 'FieldValueTypeInvalid', field: path, value: v, detail: 'must be a list of LimitRange items' });
    return undefined;
  }
  const out: LimitRangeItem[] = [];
  v.forEach((item, i) => {
    const at = `${path}[${i}]`;
    const o = objectAt(item, at, errs);
    if (!o) return;
    const type = o.type;
    if (!(LIMIT_TYPES as readonly unknown[]).includes(type)) {
      errs.push({ type: type === undefined ? 'FieldValueRequired' : 'FieldValueNotSupported', field: `${at}.type`, value: type,
        detail: `supported values: ${LIMIT_TYPES.map((t) => `"${t}"`).join(', ')}` });
      return;
    }
    const parsed: Record<string, unknown> = { type };
    for (const key of LIMIT_MAPS) {
      const m = readResourceMap(o[key], `${at}.${key}`, errs, validateResourceName);
      if (m && Object.keys(m).length > 0) parsed[key] = m;
    }
    if ((type === 'Pod' || type === 'PersistentVolumeClaim') && (parsed.default || parsed.defaultRequest)) {
      errs.push({ type: 'FieldValueForbidden', field: `${at}.default`, value: '', detail: `may not be specified when \`type\` is '${type}'` });
    }
    out.push(parsed as unknown as LimitRangeItem);
  });
  return out.length > 0 ? out : undefined;
}

function level(v: unknown, path: string, errs: FieldError[]): PodSecurityLevel | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if ((POD_SECURITY_LEVELS as readonly unknown[]).includes(v)) return v as PodSecurityLevel;
  errs.push({ type: 'FieldValueNotSupported', field: path, value: v, detail: `supported values: ${POD_SECURITY_LEVELS.map((l) => `"${l}"`).join(', ')}` });
  return undefined;
}

function readPodSecurity(v: unknown, path: string, errs: FieldError[]): PodSecurityModes {
  const o = objectAt(v, path, errs) ?? {};
  return {
    enforce: level(o.enforce, `${path}.enforce`, errs) ?? 'baseline',
    audit: level(o.audit, `${path}.audit`, errs),
    warn: level(o.warn, `${path}.warn`, errs),
  };
}

function readIsolation(v: unknown, path: string, errs: FieldError[]): HostIsolation {
  const o = objectAt(v, path, errs) ?? {};
  let networkPolicy = true;
  if (o.networkPolicy !== undefined && o.networkPolicy !== null) {
    if (typeof o.networkPolicy === 'boolean') networkPolicy = o.networkPolicy;
    else errs.push({ type: 'FieldValueTypeInvalid', field: `${path}.networkPolicy`, value: o.networkPolicy, detail: 'must be true or false' });
  }
  let nodeSelector: Record<string, string> | undefined;
  if (o.nodeSelector !== undefined && o.nodeSelector !== null) {
    const selErrs = validateLabels(o.nodeSelector, `${path}.nodeSelector`);
    errs.push(...selErrs);
    if (selErrs.length === 0 && Object.keys(o.nodeSelector as object).length > 0) nodeSelector = { ...(o.nodeSelector as Record<string, string>) };
  }
  let tolerations: Toleration[] | undefined;
  if (o.tolerations !== undefined && o.tolerations !== null) {
    const tolErrs = validateTolerations(o.tolerations, `${path}.tolerations`);
    errs.push(...tolErrs);
    if (tolErrs.length === 0 && (o.tolerations as unknown[]).length > 0) tolerations = o.tolerations as Toleration[];
  }
  let runtimeClassName: string | undefined;
  if (o.runtimeClassName !== undefined && o.runtimeClassName !== null && o.runtimeClassName !== '') {
    const rc = o.runtimeClassName;
    const problems = typeof rc === 'string' ? isDNS1123Subdomain(rc) : ['must be a string'];
    if (problems.length === 0) runtimeClassName = rc as string;
    else errs.push({ type: 'FieldValueInvalid', field: `${path}.runtimeClassName`, value: rc, detail: problems.join('; ') });
  }
  return { networkPolicy, nodeSelector, tolerations, runtimeClassName };
}
