// core/v1 ReplicationController: selector and labels default from the
// template's labels; the selector must be non-empty and match; pods restart Always.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { getObject, isObj, objAt, setDefault } from '../../api/validation/json.ts';
import { mapSelectorMatches } from '../../api/validation/labelselector.ts';
import { nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { validateLabels } from '../../api/validation/objectmeta.ts';
import { validatePodTemplateSpec } from '../../api/validation/pod-spec.ts';
import type { Strategy } from '../types.ts';
import { asObj, field, metaOf, strategy } from './common.ts';
import { defaultPodTemplate } from './pod-defaults.ts';
import { nonNegative, selectorMismatchMsg, validateAlwaysRestart } from './workload-common.ts';

function defaults(obj: KubeObject): void {
  const spec = field(obj, 'spec');
  if (!spec) return;
  const template = objAt(spec.template);
  const tmeta = template ? objAt(template.metadata) : undefined;
  const labels = tmeta ? objAt(tmeta.labels) : undefined;
  if (labels) {
    if (!isObj(spec.selector) || Object.keys(spec.selector).length === 0) spec.selector = { ...labels };
    const meta = metaOf(obj);
    if (isObj(asObj(obj).metadata) && (!isObj(meta.labels) || Object.keys(meta.labels).length === 0)) meta.labels = { ...labels };
  }
  setDefault(spec, 'replicas', 1);
  if (template) defaultPodTemplate(template);
}

function validateSpec(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
  nonNegative(spec, 'minReadySeconds', 'spec', errs);
  const selector = isObj(spec.selector) ? spec.selector : {};
  if (Object.keys(selector).length === 0) errs.push(fieldError.required('spec.selector'));
  errs.push(...validateLabels(spec.selector, 'spec.selector'));
  nonNegative(spec, 'replicas', 'spec', errs);
  const template = getObject(spec, 'template', 'spec', errs);
  if (!template) {
    errs.push(fieldError.required('spec.template'));
    return errs;
  }
  const sel: Record<string, string> = {};
  for (const [k, v] of Object.entries(selector)) if (typeof v === 'string') sel[k] = v;
  const tmeta = objAt(template.metadata);
  if (Object.keys(sel).length > 0 && !mapSelectorMatches(sel, tmeta?.labels)) {
    errs.push(fieldError.invalid('spec.template.metadata.labels', tmeta?.labels ?? null, selectorMismatchMsg));
  }
  errs.push(...validatePodTemplateSpec(template, 'spec.template'));
  validateAlwaysRestart(template, 'spec.template', 'ReplicationController', errs);
  return errs;
}

export const replicationControllerStrategy: Strategy = strategy({
  namespaced: true,
  name: nameIsDNSSubdomain,
  status: () => ({ replicas: 0 }),
  specFields: ['spec'],
  defaults,
  validate: validateSpec,
});
