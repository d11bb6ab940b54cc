// The scale subresource: an autoscaling/v1 Scale view of a workload's replicas.

import { errors } from '../../api/errors.ts';
import { isPlainObject, type KubeObject } from '../../api/types.ts';
import type { ResourceDef } from '../../registry/types.ts';

/** A label selector object (or RC's plain map) as a selector string. */
function selectorString(sel: unknown): string {
  if (!isPlainObject(sel)) return '';
  const isMap = !('matchLabels' in sel) && !('matchExpressions' in sel);
  const labels = (isMap ? sel : sel.matchLabels) as Record<string, string> | undefined;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) parts.push(`${k}=${v}`);
  for (const e of (isMap ? [] : (sel.matchExpressions as { key: string; operator: string; values?: string[] }[] | undefined) ?? [])) {
    const vals = [...(e.values ?? [])].sort().join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${vals})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${vals})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

export function getScale(_def: ResourceDef, obj: KubeObject): KubeObject {
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: unknown };
  const status = (obj.status ?? {}) as { replicas?: number };
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: selectorString(spec.selector) },
  };
}

/** The replica count a Scale body asks for, validated. */
export function scaleToReplicas(_def: ResourceDef, scale: KubeObject): number {
  const spec = scale.spec as { replicas?: unknown } | undefined;
  const r = spec?.replicas ?? 0;
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 0) {
    throw errors.invalid({ group: 'autoscaling', kind: 'Scale' }, scale.metadata.name ?? '', [
      { type: 'FieldValueInvalid', field: 'spec.replicas', value: r, detail: 'must be greater than or equal to 0' }]);
  }
  return r;
}
