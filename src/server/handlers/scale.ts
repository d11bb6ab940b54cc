// The scale subresource: an autoscaling/v1 Scale view of a workload's replicas.

import { errors } from '../../api/errors.ts';
import { isPlainObject, type KubeObject } from '../../api/types.ts';
import type { AdmissionView } from '../../registry/generic/store.ts';
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

/** Read a `.a.b.c` path (the form CRDs give their scale paths in). */
function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.').filter((p) => p !== '')) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.').filter((p) => p !== '');
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    if (!isPlainObject(cur[part])) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]] = value;
}

/** Where a kind keeps its replica counts and selector. */
function scalePaths(def: ResourceDef) {
  return def.custom?.scale ?? { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: undefined };
}

export function getScale(def: ResourceDef, obj: KubeObject): KubeObject {
  const paths = scalePaths(def);
  const replicas = getPath(obj, paths.specReplicasPath);
  const current = getPath(obj, paths.statusReplicasPath);
  // Built-ins: the selector object of the spec; custom resources: the string at labelSelectorPath.
  const selector = def.custom
    ? (paths.labelSelectorPath ? getPath(obj, paths.labelSelectorPath) : undefined)
    : selectorString((obj.spec as { selector?: unknown } | undefined)?.selector);
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: typeof replicas === 'number' ? replicas : 0 },
    status: { replicas: typeof current === 'number' ? current : 0, selector: typeof selector === 'string' ? selector : '' },
  };
}

/** Write a replica count where the kind keeps it. */
export function setReplicas(def: ResourceDef, obj: KubeObject, replicas: number): void {
  setPath(obj as Record<string, unknown>, scalePaths(def).specReplicasPath, replicas);
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

/**
 * The Scale view of a write to `…/scale`: admission webhooks and policies see
 * an UPDATE of the subresource `scale` with autoscaling/v1 Scales, as
 * upstream sends them, and a replica count a mutating webhook sets is the one
 * written. Field ownership is recorded under the subresource `scale`.
 */
export function scaleView(def: ResourceDef): AdmissionView {
  return {
    subresource: 'scale',
    kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
    show: (obj) => getScale(def, obj),
    takeBack: (view, obj) => setReplicas(def, obj, scaleToReplicas(def, view)),
  };
}
