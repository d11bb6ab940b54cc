// The host guardrails of a virtual cluster, as objects: the namespace's Pod
// Security labels, a ResourceQuota and LimitRange from the spec, and the
// NetworkPolicies (guardrails-network.ts). Pure builders; guardrails.ts keeps
// them in place on the host.
//
// Quota in a shared host namespace: a ResourceQuota counts every pod of its
// namespace, and no quota scope can select pods by label, so the host cannot
// hold one tenant's pods to one tenant's quota. A virtual cluster alone in its
// namespace gets exactly its quota. When several share a namespace each still
// keeps its own quota object, and the host admits a pod only while every one
// of them holds: together they cap the namespace's total at the smallest
// quota asked for. That errs on the safe side (no tenant ever gets more than
// its quota through the host); reconcileGuardrails reports the sharing as a
// warning, and a per-tenant budget needs a namespace per tenant. The same
// holds for LimitRanges, which apply to every pod of the namespace.

import type { KubeObject } from '../api/types.ts';
import type { HostSpec, LimitRangeItem, PodSecurityLevel } from '../server/tenancy/spec.ts';
import type { EnforcedScheduling } from './translate/pod.ts';
import { ANN_VCLUSTER, PREFIX } from './translate/keys.ts';
import { markerLabels } from './translate/markers.ts';
import { safeConcatName } from './translate/names.ts';
import { networkPolicies, type NetworkRole, type ServerReach } from './guardrails-network.ts';

export { DEFAULT_PRIVATE_CIDRS, toCidr, type LabelSelector, type NetworkRole, type ServerReach } from './guardrails-network.ts';

/** The part of a virtual cluster's host spec the guardrails follow. */
export type GuardrailSpec = Pick<HostSpec, 'quota' | 'limitRange' | 'podSecurity' | 'isolation'>;

/**
 * Label on every guardrail object (value: what it guards). It tells them from
 * the objects synced for virtual ones, which carry the same vcluster label: a
 * virtual NetworkPolicy synced to the host is not a guardrail, and the reverse.
 */
export const LABEL_GUARDRAIL = `${PREFIX}guardrail`;

export type GuardrailRole = 'quota' | 'limits' | NetworkRole;

/** The name of a guardrail object: `kubevisor-<vcluster>-<role>` (cut with a hash past 63 characters). */
export function guardrailName(vcluster: string, role: GuardrailRole): string {
  return safeConcatName('kubevisor', vcluster, role);
}

/** Label selector (string form) for every guardrail object of `vcluster`. */
export function guardrailSelector(vcluster: string): string {
  const [[k, v]] = Object.entries(markerLabels(vcluster));
  return `${k}=${v},${LABEL_GUARDRAIL}`;
}

export const PSA_PREFIX = 'pod-security.kubernetes.io/';
const PSA_MODES = ['enforce', 'audit', 'warn'] as const;
export type PodSecurityMode = typeof PSA_MODES[number];
/** Pod Security levels by mode; an absent mode is not set. */
export type PodSecurityLevels = Partial<Record<PodSecurityMode, PodSecurityLevel>>;

/**
 * Annotation on every guardrail object: the Pod Security levels its virtual
 * cluster asks for (`enforce=baseline,warn=restricted`), so the other virtual
 * clusters sharing the namespace can take them into account.
 */
export const ANN_POD_SECURITY = `${PREFIX}pod-security`;

const STRICTNESS: Record<PodSecurityLevel, number> = { privileged: 0, baseline: 1, restricted: 2 };

function isLevel(v: string | undefined): v is PodSecurityLevel {
  return v !== undefined && Object.hasOwn(STRICTNESS, v);
}

function levelsOf(spec: GuardrailSpec): PodSecurityLevels {
  const out: PodSecurityLevels = {};
  for (const mode of PSA_MODES) {
    const level = spec.podSecurity[mode];
    if (level !== undefined) out[mode] = level;
  }
  return out;
}

/** The ANN_POD_SECURITY value for `spec`. */
export function podSecurityRecord(spec: GuardrailSpec): string {
  return Object.entries(levelsOf(spec)).map(([m, l]) => `${m}=${l}`).join(',');
}

/** Levels read back from an ANN_POD_SECURITY value (unknown parts ignored). */
export function parsePodSecurityRecord(text: string | undefined): PodSecurityLevels {
  const out: PodSecurityLevels = {};
  for (const part of (text ?? '').split(',')) {
    const [mode, level] = part.split('=');
    if ((PSA_MODES as readonly string[]).includes(mode) && isLevel(level)) out[mode as PodSecurityMode] = level;
  }
  return out;
}

/**
 * The Pod Security Admission labels the host namespace needs (each mode at
 * version `latest`). Pod Security is per namespace: when other virtual
 * clusters share it (`sharers`, their recorded levels), each mode gets the
 * strictest level any of them asks for, so they agree instead of overwriting
 * each other, and a level relaxes once every sharer relaxed it.
 */
export function namespaceLabels(spec: GuardrailSpec, sharers: readonly PodSecurityLevels[] = []): Record<string, string> {
  const levels = levelsOf(spec);
  for (const other of sharers) {
    for (const mode of PSA_MODES) {
      const theirs = other[mode], mine = levels[mode];
      if (theirs !== undefined && (mine === undefined || STRICTNESS[theirs] > STRICTNESS[mine])) levels[mode] = theirs;
    }
  }
  const out: Record<string, string> = {};
  for (const mode of PSA_MODES) {
    const level = levels[mode];
    if (level === undefined) continue;
    out[`${PSA_PREFIX}${mode}`] = level;
    out[`${PSA_PREFIX}${mode}-version`] = 'latest';
  }
  return out;
}

/** The scheduling fields forced onto every synced pod (for PodContext.enforced); undefined when none. */
export function enforcedScheduling(spec: GuardrailSpec): EnforcedScheduling | undefined {
  const { nodeSelector, tolerations, runtimeClassName } = spec.isolation;
  if (!nodeSelector && !tolerations?.length && !runtimeClassName) return undefined;
  const out: EnforcedScheduling = {};
  if (nodeSelector) out.nodeSelector = { ...nodeSelector };
  if (tolerations?.length) out.tolerations = tolerations.map((t) => ({ ...t }));
  if (runtimeClassName) out.runtimeClassName = runtimeClassName;
  return out;
}

function meta(vcluster: string, hostNamespace: string, role: GuardrailRole, spec: GuardrailSpec): KubeObject['metadata'] {
  return {
    name: guardrailName(vcluster, role),
    namespace: hostNamespace,
    labels: { ...markerLabels(vcluster), [LABEL_GUARDRAIL]: role },
    annotations: { [ANN_VCLUSTER]: vcluster, [ANN_POD_SECURITY]: podSecurityRecord(spec) },
  };
}

/**
 * A LimitRange item as the API server stores it: for Container items, a
 * missing default limit is the max, and a missing default request is the
 * default limit, else the min. Sending it that way makes the stored object
 * equal to the desired one, so the drift check sees no difference.
 */
export function defaultedLimitItem(item: LimitRangeItem): Record<string, unknown> {
  const out: Record<string, unknown> = { type: item.type };
  for (const key of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const) {
    if (item[key] && Object.keys(item[key]).length > 0) out[key] = { ...item[key] };
  }
  if (item.type !== 'Container') return out;
  const def: Record<string, string> = { ...item.max, ...item.default };
  const req: Record<string, string> = { ...item.min, ...def, ...item.defaultRequest };
  if (Object.keys(def).length > 0) out.default = def;
  if (Object.keys(req).length > 0) out.defaultRequest = req;
  return out;
}

/**
 * Every guardrail object the virtual cluster wants in its host namespace,
 * each with the cluster's marker labels and LABEL_GUARDRAIL.
 */
export function guardrailObjects(vcluster: string, hostNamespace: string, spec: GuardrailSpec, server: ServerReach): KubeObject[] {
  const out: KubeObject[] = [];
  if (spec.quota && Object.keys(spec.quota).length > 0) {
    out.push({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: meta(vcluster, hostNamespace, 'quota', spec), spec: { hard: { ...spec.quota } } });
  }
  if (spec.limitRange && spec.limitRange.length > 0) {
    out.push({
      apiVersion: 'v1', kind: 'LimitRange', metadata: meta(vcluster, hostNamespace, 'limits', spec),
      spec: { limits: spec.limitRange.map(defaultedLimitItem) },
    });
  }
  if (spec.isolation.networkPolicy) {
    for (const { role, spec: npSpec } of networkPolicies(markerLabels(vcluster), server)) {
      out.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta(vcluster, hostNamespace, role, spec), spec: npSpec });
    }
  }
  return out;
}
