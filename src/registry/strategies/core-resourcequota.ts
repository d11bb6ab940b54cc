// core/v1 ResourceQuota: quota resource names and values, scopes and scope
// selectors; status belongs to the quota controller; scopes are immutable.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { child, key } from '../../api/validation/fieldpath.ts';
import { getObject, getObjectList, getString, getStringArray, objAt } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { fieldImmutableErrorMsg } from '../../api/validation/objectmeta.ts';
import { nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { readResourceList, validateQuotaResourceName, validateResourceQuantityValue } from '../../api/validation/resources.ts';
import type { Strategy } from '../types.ts';
import { asObj, keepStatus, validateMeta, validateMetaUpdate } from './common.ts';
import { canonicalizeResourceList } from './pod-defaults.ts';

const standardScopes = new Set(['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass',
  'CrossNamespacePodAffinity', 'VolumeAttributesClass']);
const podComputeResources = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory',
  'ephemeral-storage', 'requests.ephemeral-storage', 'limits.ephemeral-storage', 'pods']);

function scopeValidForResource(scope: string, resource: string): boolean {
  switch (scope) {
    case 'BestEffort': case 'CrossNamespacePodAffinity': return resource === 'pods';
    case 'Terminating': case 'NotTerminating': case 'NotBestEffort': case 'PriorityClass':
      return podComputeResources.has(resource) || resource.startsWith('requests.hugepages-');
    case 'VolumeAttributesClass':
      return resource === 'persistentvolumeclaims' || resource === 'requests.storage' || resource.endsWith('.storageclass.storage.k8s.io/requests.storage');
    default: return true;
  }
}

function isStandardQuotaName(name: string): boolean {
  return validateQuotaResourceName(name, '').length === 0 && !name.includes('/');
}

function validateResourceMap(list: unknown, path: string, errs: FieldError[]): Map<string, unknown> {
  const parsed = readResourceList(list, path, errs);
  for (const [name, q] of parsed) {
    const p = key(path, name);
    errs.push(...validateQuotaResourceName(name, p));
    errs.push(...validateResourceQuantityValue(name, q, p));
  }
  return parsed;
}

function conflicting(scopes: Set<string>): boolean {
  return (scopes.has('BestEffort') && scopes.has('NotBestEffort')) || (scopes.has('Terminating') && scopes.has('NotTerminating'));
}

function validateSpec(spec: Obj, errs: FieldError[]): void {
  const hard = validateResourceMap(spec.hard, 'spec.hard', errs);
  const hardNames = [...hard.keys()].sort();
  const scopes = getStringArray(spec, 'scopes', 'spec', errs) ?? [];
  const scopeSet = new Set<string>();
  for (const s of scopes) {
    if (!standardScopes.has(s)) errs.push(fieldError.invalid('spec.scopes', scopes, 'unsupported scope'));
    for (const r of hardNames) {
      if (isStandardQuotaName(r) && !scopeValidForResource(s, r)) errs.push(fieldError.invalid('spec.scopes', scopes, 'unsupported scope applied to resource'));
    }
    scopeSet.add(s);
  }
  if (conflicting(scopeSet)) errs.push(fieldError.invalid('spec.scopes', scopes, 'conflicting scopes'));
  const sel = getObject(spec, 'scopeSelector', 'spec', errs);
  if (!sel) return;
  const path = 'spec.scopeSelector.matchExpressions';
  const selScopes = new Set<string>();
  for (const { item: req, path: rp } of getObjectList(sel, 'matchExpressions', 'spec.scopeSelector', errs)) {
    const scope = getString(req, 'scopeName', rp, errs) ?? '';
    const op = getString(req, 'operator', rp, errs) ?? '';
    const values = getStringArray(req, 'values', rp, errs) ?? [];
    if (!standardScopes.has(scope)) errs.push(fieldError.invalid(child(path, 'scopeName'), scope, 'unsupported scope'));
    for (const r of hardNames) {
      if (isStandardQuotaName(r) && !scopeValidForResource(scope, r)) errs.push(fieldError.invalid(path, sel, 'unsupported scope applied to resource'));
    }
    if (['BestEffort', 'NotBestEffort', 'Terminating', 'NotTerminating', 'CrossNamespacePodAffinity'].includes(scope) && op !== 'Exists') {
      errs.push(fieldError.invalid(child(path, 'operator'), op,
        "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity"));
    }
    switch (op) {
      case 'In': case 'NotIn':
        if (values.length === 0) errs.push(fieldError.required(child(path, 'values'), "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
        break;
      case 'Exists': case 'DoesNotExist':
        if (values.length !== 0) errs.push(fieldError.invalid(child(path, 'values'), values, "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"));
        break;
      default:
        errs.push(fieldError.invalid(child(path, 'operator'), op, 'not a valid selector operator'));
    }
    selScopes.add(scope);
  }
  if (conflicting(selScopes)) errs.push(fieldError.invalid(path, scopes, 'conflicting scopes'));
}

function validate(obj: KubeObject): FieldError[] {
  const errs = validateMeta(obj, { namespaced: true, name: nameIsDNSSubdomain });
  const o = asObj(obj);
  validateSpec(getObject(o, 'spec', '', errs) ?? {}, errs);
  const status = objAt(o.status);
  if (status) {
    validateResourceMap(status.hard, 'status.hard', errs);
    validateResourceMap(status.used, 'status.used', errs);
  }
  return errs;
}

function validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateMetaUpdate(obj, old);
  const scopes = (o: Obj): Set<string> => {
    const spec = objAt(o.spec);
    return new Set(Array.isArray(spec?.scopes) ? spec.scopes.map(String) : []);
  };
  const a = scopes(asObj(obj)), b = scopes(asObj(old));
  if (a.size !== b.size || [...a].some((s) => !b.has(s))) {
    const spec = objAt(asObj(obj).spec);
    errs.push(fieldError.invalid('spec.scopes', spec?.scopes ?? null, fieldImmutableErrorMsg));
  }
  return errs;
}

export const resourceQuotaStrategy: Strategy = {
  defaults(obj) {
    const spec = objAt(asObj(obj).spec);
    if (spec) canonicalizeResourceList(spec.hard);
    const status = objAt(asObj(obj).status);
    if (status) { canonicalizeResourceList(status.hard); canonicalizeResourceList(status.used); }
  },
  prepareForCreate(obj) { obj.status = {}; },
  prepareForUpdate: keepStatus,
  validate,
  validateUpdate,
};


