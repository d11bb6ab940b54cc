// rbac.authorization.k8s.io/v1 Role, ClusterRole, RoleBinding, ClusterRoleBinding:
// path-segment names, policy rules, role references and subjects.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { child } from '../../api/validation/fieldpath.ts';
import { getObject, getObjectList, getString, getStringArray, isObj, objAt, objsAt, semanticEqual } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { isPathSegmentName, nameIsDNSSubdomain, nameIsPathSegment } from '../../api/validation/names.ts';
import { validateLabelSelector } from '../../api/validation/labelselector.ts';
import type { Strategy } from '../types.ts';
import { asObj, strategy } from './common.ts';

export const rbacGroup = 'rbac.authorization.k8s.io';

function validatePolicyRule(rule: Obj, namespaced: boolean, path: string, errs: FieldError[]): void {
  const verbs = getStringArray(rule, 'verbs', path, errs) ?? [];
  const nonResourceURLs = getStringArray(rule, 'nonResourceURLs', path, errs) ?? [];
  const apiGroups = getStringArray(rule, 'apiGroups', path, errs) ?? [];
  const resources = getStringArray(rule, 'resources', path, errs) ?? [];
  const resourceNames = getStringArray(rule, 'resourceNames', path, errs) ?? [];
  if (verbs.length === 0) errs.push(fieldError.required(child(path, 'verbs'), 'verbs must contain at least one value'));
  if (nonResourceURLs.length > 0) {
    if (namespaced) errs.push(fieldError.invalid(child(path, 'nonResourceURLs'), nonResourceURLs, 'namespaced rules cannot apply to non-resource URLs'));
    if (apiGroups.length > 0 || resources.length > 0 || resourceNames.length > 0) {
      errs.push(fieldError.invalid(child(path, 'nonResourceURLs'), nonResourceURLs, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return;
  }
  if (apiGroups.length === 0) errs.push(fieldError.required(child(path, 'apiGroups'), 'resource rules must supply at least one api group'));
  if (resources.length === 0) errs.push(fieldError.required(child(path, 'resources'), 'resource rules must supply at least one resource'));
  if (resourceNames.length > 0 && resources.length > 1) {
    errs.push(fieldError.required(child(path, 'resourceNames'), 'resource names cannot apply to multiple resources'));
  }
}

function roleStrategy(namespaced: boolean): Strategy {
  return strategy({
    namespaced,
    name: nameIsPathSegment,
    validate(obj) {
      const errs: FieldError[] = [];
      const o = asObj(obj);
      for (const { item, path } of getObjectList(o, 'rules', '', errs)) validatePolicyRule(item, namespaced, path, errs);
      if (!namespaced) {
        const ar = getObject(o, 'aggregationRule', '', errs);
        if (ar) {
          for (const { item, path } of getObjectList(ar, 'clusterRoleSelectors', 'aggregationRule', errs)) {
            errs.push(...validateLabelSelector(item, path));
          }
        }
      }
      return errs;
    },
  });
}

function validateSubject(s: Obj, namespaced: boolean, path: string, errs: FieldError[]): void {
  const name = getString(s, 'name', path, errs) ?? '';
  const kind = getString(s, 'kind', path, errs) ?? '';
  const apiGroup = getString(s, 'apiGroup', path, errs) ?? '';
  const ns = getString(s, 'namespace', path, errs) ?? '';
  if (name.length === 0) errs.push(fieldError.required(child(path, 'name')));
  switch (kind) {
    case 'ServiceAccount':
      if (name.length > 0) for (const m of nameIsDNSSubdomain(name, false)) errs.push(fieldError.invalid(child(path, 'name'), name, m));
      if (apiGroup.length > 0) errs.push(fieldError.notSupported(child(path, 'apiGroup'), apiGroup, ['']));
      if (!namespaced && ns.length === 0) errs.push(fieldError.required(child(path, 'namespace')));
      break;
    case 'User':
      if (name.length === 0) errs.push(fieldError.invalid(child(path, 'name'), name, 'user name cannot be empty'));
      if (apiGroup !== rbacGroup) errs.push(fieldError.notSupported(child(path, 'apiGroup'), apiGroup, [rbacGroup]));
      break;
    case 'Group':
      if (name.length === 0) errs.push(fieldError.invalid(child(path, 'name'), name, 'group name cannot be empty'));
      if (apiGroup !== rbacGroup) errs.push(fieldError.notSupported(child(path, 'apiGroup'), apiGroup, [rbacGroup]));
      break;
    default:
      errs.push(fieldError.notSupported(child(path, 'kind'), kind, ['ServiceAccount', 'User', 'Group']));
  }
}

function bindingDefaults(obj: KubeObject): void {
  const o = asObj(obj);
  const ref = objAt(o.roleRef);
  if (ref && (ref.apiGroup === undefined || ref.apiGroup === null || ref.apiGroup === '')) ref.apiGroup = rbacGroup;
  for (const s of objsAt(o.subjects)) {
    if (s.apiGroup !== undefined && s.apiGroup !== null && s.apiGroup !== '') continue;
    // The default for a ServiceAccount is "", which Go's JSON leaves out entirely.
    if (s.kind === 'ServiceAccount') delete s.apiGroup;
    else if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = rbacGroup;
  }
}

function bindingStrategy(namespaced: boolean): Strategy {
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  return strategy({
    namespaced,
    name: nameIsPathSegment,
    defaults: bindingDefaults,
    validate(obj) {
      const errs: FieldError[] = [];
      const o = asObj(obj);
      const ref = getObject(o, 'roleRef', '', errs) ?? {};
      const apiGroup = getString(ref, 'apiGroup', 'roleRef', errs) ?? '';
      const kind = getString(ref, 'kind', 'roleRef', errs) ?? '';
      const name = getString(ref, 'name', 'roleRef', errs) ?? '';
      if (apiGroup !== rbacGroup) errs.push(fieldError.notSupported('roleRef.apiGroup', apiGroup, [rbacGroup]));
      if (!kinds.includes(kind)) errs.push(fieldError.notSupported('roleRef.kind', kind, kinds));
      if (name.length === 0) errs.push(fieldError.required('roleRef.name'));
      else for (const m of isPathSegmentName(name)) errs.push(fieldError.invalid('roleRef.name', name, m));
      for (const { item, path } of getObjectList(o, 'subjects', '', errs)) validateSubject(item, namespaced, path, errs);
      return errs;
    },
    validateUpdate(obj, old) {
      const ref = asObj(obj).roleRef, oldRef = asObj(old).roleRef;
      if (!semanticEqual(ref, oldRef)) return [fieldError.invalid('roleRef', isObj(ref) ? ref : null, 'cannot change roleRef')];
      return [];
    },
  });
}

export const roleStrategyNamespaced = roleStrategy(true);
export const clusterRoleStrategy = roleStrategy(false);
export const roleBindingStrategy = bindingStrategy(true);
export const clusterRoleBindingStrategy = bindingStrategy(false);
