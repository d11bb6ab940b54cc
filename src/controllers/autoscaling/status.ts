// The HorizontalPodAutoscaler (autoscaling/v2) as the controller reads it, its
// defaults, and its status: the AbleToScale, ScalingActive and ScalingLimited
// conditions set as upstream's setCondition does, and the texts upstream's
// errors print (label selectors as Go's %+v prints them).

import type { KubeObject } from '../../api/types.ts';
import { parseQuantity } from '../../api/validation/quantity.ts';
import type { ScalingRules } from './normalize.ts';

export interface MetricTarget {
  type?: string;
  value?: string;
  averageValue?: string;
  averageUtilization?: number;
}

export interface LabelSelectorSpec {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface MetricIdentifier {
  name?: string;
  selector?: LabelSelectorSpec | null;
}

export interface MetricSpec {
  type?: string;
  resource?: { name?: string; target?: MetricTarget };
  containerResource?: { name?: string; container?: string; target?: MetricTarget };
  pods?: { metric?: MetricIdentifier; target?: MetricTarget };
  object?: { metric?: MetricIdentifier; describedObject?: { kind?: string; name?: string; apiVersion?: string }; target?: MetricTarget };
  external?: { metric?: MetricIdentifier; target?: MetricTarget };
}

export interface RulesSpec {
  stabilizationWindowSeconds?: number;
  selectPolicy?: string;
  policies?: { type: string; value: number; periodSeconds: number }[];
  tolerance?: string | number;
}

export interface HPASpec {
  scaleTargetRef?: { kind?: string; name?: string; apiVersion?: string };
  minReplicas?: number;
  maxReplicas?: number;
  metrics?: MetricSpec[];
  behavior?: { scaleUp?: RulesSpec; scaleDown?: RulesSpec } | null;
}

export interface Condition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** A MetricStatus: `{type: ""}` for a metric that could not be read, as upstream leaves it. */
export type MetricStatus = Record<string, unknown>;

export interface HPAStatus {
  observedGeneration?: number;
  lastScaleTime?: string;
  currentReplicas?: number;
  desiredReplicas: number;
  currentMetrics?: MetricStatus[] | null;
  conditions?: Condition[];
}

export function hpaSpec(hpa: KubeObject): HPASpec {
  return (hpa.spec ?? {}) as HPASpec;
}

/** spec.metrics, or the default v2 gives an HPA without any (80% of the CPU requested). */
export function metricsOf(spec: HPASpec): MetricSpec[] {
  if (Array.isArray(spec.metrics) && spec.metrics.length > 0) return spec.metrics;
  return [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
}

/** The scale-up rules with v2's defaults (4 pods or 100% per 15 s, no stabilization). */
export function scaleUpRules(r: RulesSpec | undefined): ScalingRules {
  return {
    stabilizationWindowSeconds: r?.stabilizationWindowSeconds ?? 0,
    selectPolicy: r?.selectPolicy ?? 'Max',
    policies: r?.policies ?? [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }],
  };
}

/** The scale-down rules with v2's defaults (100% per 15 s); an unset window is the controller's. */
export function scaleDownRules(r: RulesSpec | undefined, defaultWindowSeconds: number): ScalingRules {
  return {
    stabilizationWindowSeconds: r?.stabilizationWindowSeconds ?? defaultWindowSeconds,
    selectPolicy: r?.selectPolicy ?? 'Max',
    policies: r?.policies ?? [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  };
}

/** A tolerance quantity ("0.05", "50m") as a number; undefined when unset or malformed. */
export function toleranceOf(v: unknown): number | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const q = parseQuantity(v);
  if (typeof q === 'string') return undefined;
  return Number(q.mantissa) * 10 ** q.exp;
}

/**
 * Set a condition (upstream's setConditionInList): added at the end when new,
 * the transition time moved only when the status changes.
 */
export function setCondition(status: HPAStatus, type: string, value: 'True' | 'False', reason: string, message: string, now: string): void {
  const list = status.conditions ?? (status.conditions = []);
  let c = list.find((x) => x.type === type);
  if (!c) {
    c = { type, status: '' };
    list.push(c);
  }
  if (c.status !== value) c.lastTransitionTime = now;
  c.status = value;
  c.reason = reason;
  c.message = message;
}

/** A metav1.LabelSelector as Go's %+v prints a *LabelSelector ("nil" when unset). */
export function goLabelSelector(sel: LabelSelectorSpec | null | undefined): string {
  if (!sel) return 'nil';
  const labels = Object.keys(sel.matchLabels ?? {}).sort().map((k) => `${k}: ${sel.matchLabels?.[k] ?? ''},`).join('');
  const exprs = (sel.matchExpressions ?? [])
    .map((e) => `LabelSelectorRequirement{Key:${e.key},Operator:${e.operator},Values:[${(e.values ?? []).join(' ')}],},`).join('');
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${exprs}},}`;
}

/** RFC 3339 at second precision (metav1.Time). */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
