// autoscaling/v1 and autoscaling/v2 HorizontalPodAutoscaler: minReplicas 1, the
// v2 default CPU metric and scaling behavior, and the scale target and bounds.
// Status belongs to the autoscaler controller.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { child } from '../../api/validation/fieldpath.ts';
import { getInt, getObject, getObjectList, getString, objAt, objsAt, setDefault } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { isPathSegmentName, nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { canonicalQuantity } from '../../api/validation/quantity.ts';
import { parseQuantityAt } from '../../api/validation/resources.ts';
import type { Strategy } from '../types.ts';
import { asObj, field, strategy } from './common.ts';

function scaleUpRules(): Obj {
  return { stabilizationWindowSeconds: 0, selectPolicy: 'Max',
    policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] };
}

function scaleDownRules(): Obj {
  return { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] };
}

function mergeRules(given: unknown, defaults: Obj): Obj {
  const g = objAt(given);
  if (!g) return defaults;
  for (const k of ['selectPolicy', 'stabilizationWindowSeconds', 'policies', 'tolerance']) {
    if (g[k] !== undefined && g[k] !== null) defaults[k] = g[k];
  }
  return defaults;
}

function canonicalTarget(t: unknown): void {
  const target = objAt(t);
  if (!target) return;
  for (const k of ['value', 'averageValue']) if (target[k] !== undefined) target[k] = canonicalQuantity(target[k]);
}

function defaultsV2(obj: KubeObject): void {
  const spec = field(obj, 'spec');
  if (!spec) return;
  setDefault(spec, 'minReplicas', 1);
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  }
  for (const m of objsAt(spec.metrics)) {
    for (const k of ['object', 'pods', 'resource', 'containerResource', 'external']) canonicalTarget(objAt(m[k])?.target);
  }
  const behavior = objAt(spec.behavior);
  if (behavior) {
    behavior.scaleUp = mergeRules(behavior.scaleUp, scaleUpRules());
    behavior.scaleDown = mergeRules(behavior.scaleDown, scaleDownRules());
  }
}

function validateScaleTarget(spec: Obj, errs: FieldError[]): void {
  const path = 'spec.scaleTargetRef';
  const ref = getObject(spec, 'scaleTargetRef', 'spec', errs) ?? {};
  const kind = getString(ref, 'kind', path, errs) ?? '';
  const name = getString(ref, 'name', path, errs) ?? '';
  if (kind.length === 0) errs.push(fieldError.required(child(path, 'kind')));
  else for (const m of isPathSegmentName(kind)) errs.push(fieldError.invalid(child(path, 'kind'), kind, m));
  if (name.length === 0) errs.push(fieldError.required(child(path, 'name')));
  else for (const m of isPathSegmentName(name)) errs.push(fieldError.invalid(child(path, 'name'), name, m));
  getString(ref, 'apiVersion', path, errs);
}

function validateBounds(spec: Obj, errs: FieldError[]): void {
  const min = getInt(spec, 'minReplicas', 'spec', errs);
  if (min !== undefined && min < 1) errs.push(fieldError.invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  const max = getInt(spec, 'maxReplicas', 'spec', errs) ?? 0;
  if (max < 1) errs.push(fieldError.invalid('spec.maxReplicas', max, 'must be greater than 0'));
  if (min !== undefined && max < min) errs.push(fieldError.invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
}

const metricTypes = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const metricField: Record<string, string> = { Object: 'object', Pods: 'pods', Resource: 'resource', External: 'external', ContainerResource: 'containerResource' };

function validateTarget(t: Obj | undefined, path: string, errs: FieldError[]): void {
  if (!t) { errs.push(fieldError.required(path, 'must specify a metric target')); return; }
  const type = getString(t, 'type', path, errs) ?? '';
  const types = ['Utilization', 'Value', 'AverageValue'];
  if (!types.includes(type)) errs.push(fieldError.invalid(child(path, 'type'), type, 'must be either Utilization, Value, or AverageValue'));
  const util = getInt(t, 'averageUtilization', path, errs);
  if (util !== undefined && util < 1) errs.push(fieldError.invalid(child(path, 'averageUtilization'), util, 'must be greater than 0'));
  for (const k of ['value', 'averageValue']) {
    if (t[k] === undefined || t[k] === null) continue;
    const q = parseQuantityAt(t[k], child(path, k), errs);
    if (q && q.mantissa <= 0n) errs.push(fieldError.invalid(child(path, k), t[k], 'must be positive'));
  }
  if (type === 'Utilization' && util === undefined) errs.push(fieldError.required(child(path, 'averageUtilization'), 'must set averageUtilization when type is Utilization'));
  if (type === 'Value' && (t.value === undefined || t.value === null)) errs.push(fieldError.required(child(path, 'value'), 'must set value when type is Value'));
  if (type === 'AverageValue' && (t.averageValue === undefined || t.averageValue === null)) errs.push(fieldError.required(child(path, 'averageValue'), 'must set averageValue when type is AverageValue'));
}

function validateMetrics(spec: Obj, errs: FieldError[]): void {
  for (const { item: m, path } of getObjectList(spec, 'metrics', 'spec', errs)) {
    const type = getString(m, 'type', path, errs) ?? '';
    if (type === '') { errs.push(fieldError.required(child(path, 'type'), 'must specify a metric source type')); continue; }
    if (!metricTypes.includes(type)) { errs.push(fieldError.notSupported(child(path, 'type'), type, metricTypes)); continue; }
    const k = metricField[type] as string;
    const src = getObject(m, k, path, errs);
    if (!src) { errs.push(fieldError.required(child(path, k), 'must populate information for the given metric source')); continue; }
    const sp = child(path, k);
    if (type === 'Resource' || type === 'ContainerResource') {
      if ((getString(src, 'name', sp, errs) ?? '') === '') errs.push(fieldError.required(child(sp, 'name'), 'must specify a resource name'));
      if (type === 'ContainerResource' && (getString(src, 'container', sp, errs) ?? '') === '') errs.push(fieldError.required(child(sp, 'container'), 'must specify a container'));
    } else {
      const metric = getObject(src, 'metric', sp, errs);
      if (!metric || (getString(metric, 'name', child(sp, 'metric'), errs) ?? '') === '') errs.push(fieldError.required(child(sp, 'metric', 'name'), 'must specify a metric name'));
      if (type === 'Object') {
        const ref = getObject(src, 'describedObject', sp, errs) ?? {};
        if ((getString(ref, 'kind', child(sp, 'describedObject'), errs) ?? '') === '') errs.push(fieldError.required(child(sp, 'describedObject', 'kind')));
        if ((getString(ref, 'name', child(sp, 'describedObject'), errs) ?? '') === '') errs.push(fieldError.required(child(sp, 'describedObject', 'name')));
      }
    }
    validateTarget(getObject(src, 'target', sp, errs), child(sp, 'target'), errs);
  }
}

function validateBehavior(spec: Obj, errs: FieldError[]): void {
  const b = getObject(spec, 'behavior', 'spec', errs);
  if (!b) return;
  for (const dir of ['scaleUp', 'scaleDown']) {
    const r = getObject(b, dir, 'spec.behavior', errs);
    if (!r) continue;
    const p = `spec.behavior.${dir}`;
    const sw = getInt(r, 'stabilizationWindowSeconds', p, errs);
    if (sw !== undefined && (sw < 0 || sw > 3600)) errs.push(fieldError.invalid(`${p}.stabilizationWindowSeconds`, sw, 'must be less than or equal to 3600'));
    const sel = getString(r, 'selectPolicy', p, errs);
    if (sel !== undefined && !['Disabled', 'Max', 'Min'].includes(sel)) errs.push(fieldError.notSupported(`${p}.selectPolicy`, sel, ['Disabled', 'Max', 'Min']));
    const policies = getObjectList(r, 'policies', p, errs);
    if (policies.length === 0 && sel !== 'Disabled') errs.push(fieldError.required(`${p}.policies`, 'must specify at least one Policy'));
    for (const { item: pol, path: pp } of policies) {
      const t = getString(pol, 'type', pp, errs) ?? '';
      if (t !== 'Pods' && t !== 'Percent') errs.push(fieldError.invalid(child(pp, 'type'), t, 'must be either Pods or Percent'));
      const v = getInt(pol, 'value', pp, errs) ?? 0;
      if (v <= 0) errs.push(fieldError.invalid(child(pp, 'value'), v, 'must be greater than zero'));
      const per = getInt(pol, 'periodSeconds', pp, errs) ?? 0;
      if (per <= 0) errs.push(fieldError.invalid(child(pp, 'periodSeconds'), per, 'must be greater than zero'));
      else if (per > 1800) errs.push(fieldError.invalid(child(pp, 'periodSeconds'), per, 'must be less than or equal to 1800'));
    }
  }
}

export const hpaV2Strategy: Strategy = strategy({
  namespaced: true,
  name: nameIsDNSSubdomain,
  status: () => ({ desiredReplicas: 0 }),
  defaults: defaultsV2,
  validate(obj) {
    const errs: FieldError[] = [];
    const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
    validateScaleTarget(spec, errs);
    validateBounds(spec, errs);
    validateMetrics(spec, errs);
    validateBehavior(spec, errs);
    return errs;
  },
});

export const hpaV1Strategy: Strategy = strategy({
  namespaced: true,
  name: nameIsDNSSubdomain,
  status: () => ({ currentReplicas: 0, desiredReplicas: 0 }),
  defaults(obj) {
    const spec = field(obj, 'spec');
    if (spec) setDefault(spec, 'minReplicas', 1);
  },
  validate(obj) {
    const errs: FieldError[] = [];
    const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
    validateScaleTarget(spec, errs);
    validateBounds(spec, errs);
    const cpu = getInt(spec, 'targetCPUUtilizationPercentage', 'spec', errs);
    if (cpu !== undefined && cpu < 1) errs.push(fieldError.invalid('spec.targetCPUUtilizationPercentage', cpu, 'must be greater than 0'));
    return errs;
  },
});
