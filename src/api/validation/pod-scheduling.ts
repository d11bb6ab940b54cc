// Scheduling parts of a pod spec: node and pod (anti-)affinity, tolerations,
// taint effects, topology spread constraints.

import { fieldError } from '../errors.ts';
import type { FieldError } from '../errors.ts';
import { child, index } from './fieldpath.ts';
import { getInt, getObject, getObjectList, getString, getStringArray, isObj, typeInvalid } from './json.ts';
import type { Obj } from './json.ts';
import { validateLabelSelector } from './labelselector.ts';
import { isDNS1123Label, isDNS1123Subdomain, isValidLabelValue } from './names.ts';
import { validateLabelName } from './objectmeta.ts';

const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export function validateTaintEffect(effect: string, allowEmpty: boolean, path: string): FieldError[] {
  if (!allowEmpty && effect.length === 0) return [fieldError.required(path)];
  if (taintEffects.includes(effect)) return [];
  return [fieldError.notSupported(path, effect, taintEffects)];
}

export function validateTolerations(list: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (list === undefined || list === null) return errs;
  if (!Array.isArray(list)) return [typeInvalid(path, list, 'array')];
  list.forEach((t, i) => {
    const p = index(path, i);
    if (!isObj(t)) {
      errs.push(typeInvalid(p, t, 'object'));
      return;
    }
    const k = getString(t, 'key', p, errs) ?? '';
    const op = getString(t, 'operator', p, errs) ?? '';
    const value = getString(t, 'value', p, errs) ?? '';
    const effect = getString(t, 'effect', p, errs) ?? '';
    const seconds = getInt(t, 'tolerationSeconds', p, errs);
    if (k.length > 0) errs.push(...validateLabelName(k, child(p, 'key')));
    if (k.length === 0 && op !== 'Exists') {
      errs.push(fieldError.invalid(child(p, 'operator'), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (seconds !== undefined && effect !== 'NoExecute') {
      errs.push(fieldError.invalid(child(p, 'effect'), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (op) {
      case 'Equal': case '': {
        const msgs = isValidLabelValue(value);
        if (msgs.length > 0) errs.push(fieldError.invalid(child(p, 'operator'), value, msgs.join(';')));
        break;
      }
      case 'Exists':
        if (value.length > 0) errs.push(fieldError.invalid(child(p, 'operator'), value, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(fieldError.notSupported(child(p, 'operator'), op, ['Equal', 'Exists']));
    }
    if (effect.length > 0) errs.push(...validateTaintEffect(effect, true, child(p, 'effect')));
  });
  return errs;
}

function validateNodeSelectorRequirement(rq: Obj, path: string, errs: FieldError[]): void {
  const op = getString(rq, 'operator', path, errs) ?? '';
  const k = getString(rq, 'key', path, errs) ?? '';
  const values = getStringArray(rq, 'values', path, errs) ?? [];
  switch (op) {
    case 'In': case 'NotIn':
      if (values.length === 0) errs.push(fieldError.required(child(path, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists': case 'DoesNotExist':
      if (values.length > 0) errs.push(fieldError.forbidden(child(path, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt': case 'Lt':
      if (values.length !== 1) errs.push(fieldError.required(child(path, 'values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(fieldError.invalid(child(path, 'operator'), op, 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(k, child(path, 'key')));
  values.forEach((v, i) => {
    for (const msg of isValidLabelValue(v)) errs.push(fieldError.invalid(index(child(path, 'values'), i), v, msg));
  });
}

function validateNodeFieldSelectorRequirement(rq: Obj, path: string, errs: FieldError[]): void {
  const op = getString(rq, 'operator', path, errs) ?? '';
  const k = getString(rq, 'key', path, errs) ?? '';
  const values = getStringArray(rq, 'values', path, errs) ?? [];
  if (op === 'In' || op === 'NotIn') {
    if (values.length !== 1) {
      errs.push(fieldError.required(child(path, 'values'), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
    }
  } else {
    errs.push(fieldError.invalid(child(path, 'operator'), op, 'not a valid selector operator'));
  }
  if (k !== 'metadata.name') {
    errs.push(fieldError.invalid(child(path, 'key'), k, 'not a valid field selector key'));
  } else {
    values.forEach((v, i) => {
      for (const msg of isDNS1123Subdomain(v)) errs.push(fieldError.invalid(index(child(path, 'values'), i), v, msg));
    });
  }
}

export function validateNodeSelectorTerm(term: Obj, path: string, errs: FieldError[]): void {
  for (const { item, path: p } of getObjectList(term, 'matchExpressions', path, errs)) validateNodeSelectorRequirement(item, p, errs);
  for (const { item, path: p } of getObjectList(term, 'matchFields', path, errs)) validateNodeFieldSelectorRequirement(item, p, errs);
}

/** A NodeSelector (node affinity, PV node affinity): at least one term. */
export function validateNodeSelector(sel: Obj, path: string, errs: FieldError[]): void {
  const termsPath = child(path, 'nodeSelectorTerms');
  const terms = getObjectList(sel, 'nodeSelectorTerms', path, errs);
  if (terms.length === 0 && !(Array.isArray(sel.nodeSelectorTerms) && sel.nodeSelectorTerms.length > 0)) {
    errs.push(fieldError.required(termsPath, 'must have at least one node selector term'));
    return;
  }
  for (const { item, path: p } of terms) validateNodeSelectorTerm(item, p, errs);
}

function validateWeight(w: number | undefined, path: string, errs: FieldError[]): void {
  if (w === undefined || w <= 0 || w > 100) errs.push(fieldError.invalid(path, w ?? 0, 'must be in the range 1-100'));
}

function validatePodAffinityTerm(term: Obj, path: string, errs: FieldError[]): void {
  errs.push(...validateLabelSelector(term.labelSelector, child(path, 'labelSelector')));
  errs.push(...validateLabelSelector(term.namespaceSelector, child(path, 'namespaceSelector')));
  for (const ns of getStringArray(term, 'namespaces', path, errs) ?? []) {
    for (const msg of isDNS1123Label(ns)) errs.push(fieldError.invalid(child(path, 'namespace'), ns, msg));
  }
  const matchKeys = getStringArray(term, 'matchLabelKeys', path, errs) ?? [];
  const mismatchKeys = getStringArray(term, 'mismatchLabelKeys', path, errs) ?? [];
  const hasSelector = isObj(term.labelSelector);
  for (const [name, keys] of [['matchLabelKeys', matchKeys], ['mismatchLabelKeys', mismatchKeys]] as const) {
    if (keys.length === 0) continue;
    if (!hasSelector) {
      errs.push(fieldError.forbidden(child(path, name), 'must not be specified when labelSelector is not set'));
      continue;
    }
    keys.forEach((k, i) => errs.push(...validateLabelName(k, index(child(path, name), i))));
  }
  matchKeys.forEach((k, i) => {
    if (mismatchKeys.includes(k)) errs.push(fieldError.invalid(index(child(path, 'matchLabelKeys'), i), k, 'exists in both matchLabelKeys and mismatchLabelKeys'));
  });
  const topologyKey = getString(term, 'topologyKey', path, errs) ?? '';
  if (topologyKey.length === 0) errs.push(fieldError.required(child(path, 'topologyKey'), 'can not be empty'));
  errs.push(...validateLabelName(topologyKey, child(path, 'topologyKey')));
}

function validatePodAffinityKind(a: Obj, path: string, errs: FieldError[]): void {
  const req = 'requiredDuringSchedulingIgnoredDuringExecution';
  const pref = 'preferredDuringSchedulingIgnoredDuringExecution';
  for (const { item, path: p } of getObjectList(a, req, path, errs)) validatePodAffinityTerm(item, p, errs);
  for (const { item, path: p } of getObjectList(a, pref, path, errs)) {
    validateWeight(getInt(item, 'weight', p, errs), child(p, 'weight'), errs);
    const term = getObject(item, 'podAffinityTerm', p, errs) ?? {};
    validatePodAffinityTerm(term, child(p, 'podAffinityTerm'), errs);
  }
}

export function validateAffinity(aff: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (aff === undefined || aff === null) return errs;
  if (!isObj(aff)) return [typeInvalid(path, aff, 'object')];
  const na = getObject(aff, 'nodeAffinity', path, errs);
  if (na) {
    const p = child(path, 'nodeAffinity');
    const req = getObject(na, 'requiredDuringSchedulingIgnoredDuringExecution', p, errs);
    if (req) validateNodeSelector(req, child(p, 'requiredDuringSchedulingIgnoredDuringExecution'), errs);
    for (const { item, path: tp } of getObjectList(na, 'preferredDuringSchedulingIgnoredDuringExecution', p, errs)) {
      validateWeight(getInt(item, 'weight', tp, errs), child(tp, 'weight'), errs);
      const pref = getObject(item, 'preference', tp, errs) ?? {};
      validateNodeSelectorTerm(pref, child(tp, 'preference'), errs);
    }
  }
  const pa = getObject(aff, 'podAffinity', path, errs);
  if (pa) validatePodAffinityKind(pa, child(path, 'podAffinity'), errs);
  const paa = getObject(aff, 'podAntiAffinity', path, errs);
  if (paa) validatePodAffinityKind(paa, child(path, 'podAntiAffinity'), errs);
  return errs;
}

export function validateTopologySpreadConstraints(list: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (list === undefined || list === null) return errs;
  if (!Array.isArray(list)) return [typeInvalid(path, list, 'array')];
  const items = list.map((c, i) => ({ c, p: index(path, i) }));
  items.forEach(({ c, p }, i) => {
    if (!isObj(c)) {
      errs.push(typeInvalid(p, c, 'object'));
      return;
    }
    const maxSkew = getInt(c, 'maxSkew', p, errs) ?? 0;
    if (maxSkew <= 0) errs.push(fieldError.invalid(child(p, 'maxSkew'), maxSkew, 'must be greater than zero'));
    const topologyKey = getString(c, 'topologyKey', p, errs) ?? '';
    if (topologyKey.length === 0) errs.push(fieldError.required(child(p, 'topologyKey'), 'can not be empty'));
    const when = getString(c, 'whenUnsatisfiable', p, errs) ?? '';
    if (when !== 'DoNotSchedule' && when !== 'ScheduleAnyway') {
      errs.push(fieldError.notSupported(child(p, 'whenUnsatisfiable'), when, ['DoNotSchedule', 'ScheduleAnyway']));
    }
    for (const later of list.slice(i + 1)) {
      if (isObj(later) && later.topologyKey === topologyKey && later.whenUnsatisfiable === when) {
        errs.push(fieldError.duplicate(child(p, '{topologyKey, whenUnsatisfiable}'), `{${topologyKey}, ${when}}`));
        break;
      }
    }
    const minDomains = getInt(c, 'minDomains', p, errs);
    if (minDomains !== undefined) {
      if (minDomains <= 0) errs.push(fieldError.invalid(child(p, 'minDomains'), minDomains, 'must be greater than zero'));
      if (when !== 'DoNotSchedule') {
        errs.push(fieldError.invalid(child(p, 'minDomains'), minDomains, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${when}`));
      }
    }
    for (const policy of ['nodeAffinityPolicy', 'nodeTaintsPolicy']) {
      const v = getString(c, policy, p, errs);
      if (v !== undefined && v !== 'Honor' && v !== 'Ignore') errs.push(fieldError.notSupported(child(p, policy), v, ['Honor', 'Ignore']));
    }
    const matchKeys = getStringArray(c, 'matchLabelKeys', p, errs) ?? [];
    if (matchKeys.length > 0) {
      const sel = isObj(c.labelSelector) ? c.labelSelector : undefined;
      if (!sel) errs.push(fieldError.forbidden(child(p, 'matchLabelKeys'), 'must not be specified when labelSelector is not set'));
      const selKeys = new Set<string>([
        ...(sel && isObj(sel.matchLabels) ? Object.keys(sel.matchLabels) : []),
        ...(sel && Array.isArray(sel.matchExpressions) ? sel.matchExpressions.filter(isObj).map((e) => String(e.key)) : []),
      ]);
      matchKeys.forEach((k, j) => {
        const kp = index(child(p, 'matchLabelKeys'), j);
        errs.push(...validateLabelName(k, kp));
        if (selKeys.has(k)) errs.push(fieldError.invalid(kp, k, 'exists in both matchLabelKeys and labelSelector'));
      });
    }
    errs.push(...validateLabelSelector(c.labelSelector, child(p, 'labelSelector')));
  });
  return errs;
}

/** Taints of a node: key, value, effect, unique per (key, effect). */
export function validateTaints(list: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (list === undefined || list === null) return errs;
  if (!Array.isArray(list)) return [typeInvalid(path, list, 'array')];
  const seen = new Set<string>();
  list.forEach((t, i) => {
    const p = index(path, i);
    if (!isObj(t)) {
      errs.push(typeInvalid(p, t, 'object'));
      return;
    }
    const k = getString(t, 'key', p, errs) ?? '';
    const value = getString(t, 'value', p, errs) ?? '';
    const effect = getString(t, 'effect', p, errs) ?? '';
    errs.push(...validateLabelName(k, child(p, 'key')));
    const msgs = isValidLabelValue(value);
    if (msgs.length > 0) errs.push(fieldError.invalid(child(p, 'value'), value, msgs.join(';')));
    errs.push(...validateTaintEffect(effect, false, child(p, 'effect')));
    const id = `${effect}\u0000${k}`;
    if (seen.has(id)) {
      errs.push({ ...fieldError.duplicate(p, t), detail: 'taints must be unique by key and effect pair' });
      return;
    }
    seen.add(id);
  });
  return errs;
}

