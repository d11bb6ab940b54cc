// admissionregistration.k8s.io ValidatingAdmissionPolicy(Binding) and
// MutatingAdmissionPolicy(Binding): upstream's defaults (failurePolicy Fail;
// matchPolicy Equivalent, empty selectors and scope * in match resources)
// and the structural part of its validation (required fields, allowed
// values, paramRef and validationActions rules). Expressions are not
// compiled here (upstream refuses a policy whose CEL does not compile;
// kubevisor finds out when it evaluates it).

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { child, index } from '../../api/validation/fieldpath.ts';
import { getObject, getObjectList, getString, getStringArray, objAt, objsAt, setDefault } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { validateLabelSelector } from '../../api/validation/labelselector.ts';
import { nameIsDNSSubdomain } from '../../api/validation/names.ts';
import type { Strategy } from '../types.ts';
import { asObj, strategy } from './common.ts';
import { validateRule } from './admissionregistration-webhooks.ts';

function defaultMatchResources(m: Obj | undefined): void {
  if (!m) return;
  setDefault(m, 'matchPolicy', 'Equivalent');
  setDefault(m, 'namespaceSelector', {});
  setDefault(m, 'objectSelector', {});
  for (const r of [...objsAt(m.resourceRules), ...objsAt(m.excludeResourceRules)]) setDefault(r, 'scope', '*');
}

function validateMatchResources(m: Obj, path: string, errs: FieldError[]): void {
  const mp = getString(m, 'matchPolicy', path, errs);
  if (mp === undefined) errs.push(fieldError.required(child(path, 'matchPolicy')));
  else if (mp !== 'Equivalent' && mp !== 'Exact') errs.push(fieldError.notSupported(child(path, 'matchPolicy'), mp, ['Equivalent', 'Exact']));
  for (const k of ['namespaceSelector', 'objectSelector']) {
    if (m[k] === undefined || m[k] === null) errs.push(fieldError.required(child(path, k)));
    else errs.push(...validateLabelSelector(m[k], child(path, k)));
  }
  for (const k of ['resourceRules', 'excludeResourceRules']) {
    for (const { item, path: rp } of getObjectList(m, k, path, errs)) validateRule(item, rp, errs);
  }
}

const reasons = ['Forbidden', 'Invalid', 'RequestEntityTooLarge', 'Unauthorized'];

function validatePolicySpec(spec: Obj, validating: boolean, errs: FieldError[]): void {
  const fp = getString(spec, 'failurePolicy', 'spec', errs);
  if (fp === undefined) errs.push(fieldError.required('spec.failurePolicy'));
  else if (fp !== 'Fail' && fp !== 'Ignore') errs.push(fieldError.notSupported('spec.failurePolicy', fp, ['Fail', 'Ignore']));
  const pk = getObject(spec, 'paramKind', 'spec', errs);
  if (pk) {
    if ((getString(pk, 'apiVersion', 'spec.paramKind', errs) ?? '') === '') errs.push(fieldError.required('spec.paramKind.apiVersion'));
    if ((getString(pk, 'kind', 'spec.paramKind', errs) ?? '') === '') errs.push(fieldError.required('spec.paramKind.kind'));
  }
  const mc = getObject(spec, 'matchConstraints', 'spec', errs);
  if (!mc) errs.push(fieldError.required('spec.matchConstraints'));
  else {
    validateMatchResources(mc, 'spec.matchConstraints', errs);
    if ((Array.isArray(mc.resourceRules) ? mc.resourceRules : []).length === 0) errs.push(fieldError.required('spec.matchConstraints.resourceRules'));
  }
  const names = new Set<string>();
  for (const { item, path } of getObjectList(spec, 'matchConditions', 'spec', errs)) {
    const name = getString(item, 'name', path, errs) ?? '';
    if (name === '') errs.push(fieldError.required(child(path, 'name')));
    else if (names.has(name)) errs.push(fieldError.duplicate(child(path, 'name'), name));
    names.add(name);
    if ((getString(item, 'expression', path, errs) ?? '').trim() === '') errs.push(fieldError.required(child(path, 'expression')));
  }
  for (const { item, path } of getObjectList(spec, 'variables', 'spec', errs)) {
    const name = getString(item, 'name', path, errs) ?? '';
    if (name.trim() === '') errs.push(fieldError.required(child(path, 'name'), 'name is not specified'));
    else if (!/^[_a-zA-Z][_a-zA-Z0-9]*$/.test(name)) errs.push(fieldError.invalid(child(path, 'name'), name, 'name is not a valid CEL identifier'));
    if ((getString(item, 'expression', path, errs) ?? '').trim() === '') errs.push(fieldError.required(child(path, 'expression'), 'expression is not specified'));
  }
  if (!validating) return;
  const validations = getObjectList(spec, 'validations', 'spec', errs);
  const audits = getObjectList(spec, 'auditAnnotations', 'spec', errs);
  if (validations.length === 0 && audits.length === 0) {
    errs.push(fieldError.required('spec.validations', 'validations or auditAnnotations must contain at least one item'));
    errs.push(fieldError.required('spec.auditAnnotations', 'validations or auditAnnotations must contain at least one item'));
  }
  for (const { item, path } of validations) {
    if ((getString(item, 'expression', path, errs) ?? '').trim() === '') errs.push(fieldError.required(child(path, 'expression'), 'expression is not specified'));
    const me = getString(item, 'messageExpression', path, errs);
    if (me !== undefined && me.length > 0 && me.trim() === '') errs.push(fieldError.invalid(child(path, 'messageExpression'), me, 'must be non-empty if specified'));
    const msg = getString(item, 'message', path, errs);
    if (msg !== undefined && msg.length > 0 && msg.trim() === '') errs.push(fieldError.invalid(child(path, 'message'), msg, 'message must be non-empty if specified'));
    else if (msg !== undefined && /[\n\r]/.test(msg.trim())) errs.push(fieldError.invalid(child(path, 'message'), msg, 'message must not contain line breaks'));
    const reason = getString(item, 'reason', path, errs);
    if (reason !== undefined && !reasons.includes(reason)) errs.push(fieldError.notSupported(child(path, 'reason'), reason, reasons));
  }
  const keys = new Set<string>();
  for (const { item, path } of audits) {
    const key = getString(item, 'key', path, errs) ?? '';
    if (keys.has(key)) errs.push(fieldError.duplicate(child(path, 'key'), key));
    keys.add(key);
    if ((getString(item, 'valueExpression', path, errs) ?? '').trim() === '') {
      errs.push(fieldError.required(child(path, 'valueExpression'), 'valueExpression is not specified'));
    }
  }
}

const actions = ['Audit', 'Deny', 'Warn'];

function validateBindingSpec(spec: Obj, validating: boolean, errs: FieldError[]): void {
  if ((getString(spec, 'policyName', 'spec', errs) ?? '') === '') errs.push(fieldError.required('spec.policyName'));
  const pr = getObject(spec, 'paramRef', 'spec', errs);
  if (pr) {
    const name = getString(pr, 'name', 'spec.paramRef', errs) ?? '';
    const hasSelector = pr.selector !== undefined && pr.selector !== null;
    if (name !== '' && hasSelector) errs.push(fieldError.forbidden('spec.paramRef.name', 'name and selector are mutually exclusive'));
    if (hasSelector) {
      errs.push(...validateLabelSelector(pr.selector, 'spec.paramRef.selector'));
      if (name !== '') errs.push(fieldError.forbidden('spec.paramRef.selector', 'name and selector are mutually exclusive'));
    }
    if (name === '' && !hasSelector) errs.push(fieldError.required('spec.paramRef', 'one of name or selector must be specified'));
    const action = getString(pr, 'parameterNotFoundAction', 'spec.paramRef', errs) ?? '';
    if (action === '') errs.push(fieldError.required('spec.paramRef.parameterNotFoundAction'));
    else if (action !== 'Deny' && action !== 'Allow') errs.push(fieldError.notSupported('spec.paramRef.parameterNotFoundAction', action, ['Deny', 'Allow']));
  }
  // Upstream's path, its spelling included.
  const mr = getObject(spec, 'matchResources', 'spec', errs);
  if (mr) validateMatchResources(mr, 'spec.matchResouces', errs);
  if (!validating) return;
  const va = getStringArray(spec, 'validationActions', 'spec', errs) ?? [];
  const seen = new Set<string>();
  va.forEach((a, i) => {
    const p = index('spec.validationActions', i);
    if (!actions.includes(a)) errs.push(fieldError.notSupported(p, a, actions));
    if (seen.has(a)) errs.push(fieldError.duplicate(p, a));
    seen.add(a);
  });
  if (seen.has('Deny') && seen.has('Warn')) {
    errs.push(fieldError.invalid('spec.validationActions', va,
      'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)'));
  }
  if (seen.size === 0) errs.push(fieldError.required('spec.validationActions', 'at least one validation action is required'));
}

const policy = (validating: boolean): Strategy => strategy({
  namespaced: false,
  name: nameIsDNSSubdomain,
  status: () => ({}),
  specFields: ['spec'],
  defaults(obj: KubeObject) {
    const spec = objAt(asObj(obj).spec);
    if (!spec) return;
    setDefault(spec, 'failurePolicy', 'Fail');
    defaultMatchResources(objAt(spec.matchConstraints));
  },
  validate(obj) {
    const errs: FieldError[] = [];
    validatePolicySpec(getObject(asObj(obj), 'spec', '', errs) ?? {}, validating, errs);
    return errs;
  },
});

const binding = (validating: boolean): Strategy => strategy({
  namespaced: false,
  name: nameIsDNSSubdomain,
  specFields: ['spec'],
  defaults(obj: KubeObject) {
    const spec = objAt(asObj(obj).spec);
    if (spec) defaultMatchResources(objAt(spec.matchResources));
  },
  validate(obj) {
    const errs: FieldError[] = [];
    validateBindingSpec(getObject(asObj(obj), 'spec', '', errs) ?? {}, validating, errs);
    return errs;
  },
});

export const admissionPolicyStrategies: Record<string, Strategy> = {
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy': policy(true),
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding': binding(true),
  'admissionregistration.k8s.io/MutatingAdmissionPolicy': policy(false),
  'admissionregistration.k8s.io/MutatingAdmissionPolicyBinding': binding(false),
};
