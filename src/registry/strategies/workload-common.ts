// Pieces shared by the workload kinds (Deployment, ReplicaSet, DaemonSet,
// StatefulSet, ReplicationController): selector against template, int-or-percent
// values, and the status every new workload starts with.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import { child } from '../../api/validation/fieldpath.ts';
import { isObj, typeInvalid } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { selectorConvertible, selectorIsEmpty, selectorMatches, validateLabelSelector } from '../../api/validation/labelselector.ts';
import { isValidPercent } from '../../api/validation/names.ts';
import { isNegativeErrorMsg } from '../../api/validation/objectmeta.ts';
import { validatePodTemplateSpec } from '../../api/validation/pod-spec.ts';

export const selectorMismatchMsg = '`selector` does not match template `labels`';

function templateLabels(template: unknown): unknown {
  return isObj(template) && isObj(template.metadata) ? template.metadata.labels : undefined;
}

/**
 * A metav1.LabelSelector `spec.selector` that is required and may not be empty,
 * as Deployments, ReplicaSets and StatefulSets have it. Returns whether the
 * selector converts to a usable one.
 */
export function validateRequiredSelector(spec: Obj, path: string, kindWord: string, errs: FieldError[]): boolean {
  const sel = spec.selector;
  const selPath = child(path, 'selector');
  if (sel === undefined || sel === null) {
    errs.push(fieldError.required(selPath));
  } else {
    errs.push(...validateLabelSelector(sel, selPath));
    if (isObj(sel) && selectorIsEmpty(sel)) errs.push(fieldError.invalid(selPath, sel, `empty selector is invalid for ${kindWord}`));
  }
  return selectorConvertible(sel);
}

/** The selector must match the template's labels (an empty selector matches all; none matches nothing). */
export function validateSelectorMatchesTemplate(sel: unknown, template: unknown, path: string, errs: FieldError[]): void {
  if (isObj(sel) && selectorIsEmpty(sel)) return;
  if (!selectorMatches(sel, templateLabels(template))) {
    errs.push(fieldError.invalid(child(path, 'metadata', 'labels'), templateLabels(template) ?? null, selectorMismatchMsg));
  }
}

/** ValidatePodTemplateSpecForReplicaSet (Deployments and ReplicaSets). */
export function validateTemplateForReplicaSet(template: unknown, sel: unknown, path: string, errs: FieldError[]): void {
  validateSelectorMatchesTemplate(sel, template, path, errs);
  errs.push(...validatePodTemplateSpec(template, path));
  validateAlwaysRestart(template, path, 'ReplicaSet', errs);
}

/** Long-running workloads: restartPolicy Always, no activeDeadlineSeconds. */
export function validateAlwaysRestart(template: unknown, path: string, kind: string, errs: FieldError[]): void {
  const spec = isObj(template) && isObj(template.spec) ? template.spec : {};
  const rp = typeof spec.restartPolicy === 'string' ? spec.restartPolicy : '';
  if (rp !== 'Always') errs.push(fieldError.notSupported(child(path, 'spec', 'restartPolicy'), rp, ['Always']));
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    errs.push(fieldError.forbidden(child(path, 'spec', 'activeDeadlineSeconds'), `activeDeadlineSeconds in ${kind} is not Supported`));
  }
}

export function nonNegative(spec: Obj, k: string, path: string, errs: FieldError[]): number | undefined {
  const v = spec[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    errs.push(typeInvalid(child(path, k), v, 'integer'));
    return undefined;
  }
  if (v < 0) errs.push(fieldError.invalid(child(path, k), v, isNegativeErrorMsg));
  return v;
}

/** The value of an int-or-percent (percent strings give their number). */
export function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && isValidPercent(v).length === 0) return Number.parseInt(v.slice(0, -1), 10);
  if (typeof v === 'string' && /^-?[0-9]+$/.test(v)) return Number.parseInt(v, 10);
  return 0;
}

/** ValidatePositiveIntOrPercent. */
export function validatePositiveIntOrPercent(v: unknown, path: string, errs: FieldError[]): void {
  if (v === undefined || v === null) return;
  if (typeof v === 'string') {
    for (const m of isValidPercent(v)) errs.push(fieldError.invalid(path, v, m));
  } else if (typeof v === 'number' && Number.isInteger(v)) {
    if (v < 0) errs.push(fieldError.invalid(path, v, isNegativeErrorMsg));
  } else {
    errs.push(fieldError.invalid(path, v, "must be an integer or percentage (e.g '5%')"));
  }
}

/** IsNotMoreThan100Percent. */
export function validateNotMoreThan100Percent(v: unknown, path: string, errs: FieldError[]): void {
  if (typeof v === 'string' && isValidPercent(v).length === 0 && Number.parseInt(v.slice(0, -1), 10) > 100) {
    errs.push(fieldError.invalid(path, v, 'must not be greater than 100%'));
  }
}
