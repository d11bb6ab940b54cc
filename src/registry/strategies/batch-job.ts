// batch/v1 Job: defaults, the generated selector and pod labels (from the job's
// uid and name), ValidateJob, and what an update may change.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { child, key } from '../../api/validation/fieldpath.ts';
import { deepClone, getObject, isObj, objAt, objsAt, semanticEqual, setDefault, setDefaultStr } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { selectorConvertible, selectorMatches, validateLabelSelector } from '../../api/validation/labelselector.ts';
import { isDNS1123Label, nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { fieldImmutableErrorMsg, validateImmutableField } from '../../api/validation/objectmeta.ts';
import type { Strategy } from '../types.ts';
import { asObj, ensureGeneratedName, field, metaOf, strategy } from './common.ts';
import { validateJobSpec } from './batch-jobspec.ts';
import { defaultPodTemplate } from './pod-defaults.ts';
import { selectorMismatchMsg } from './workload-common.ts';
import { deepCopy } from '../../api/json-copy.ts';

export const controllerUidLabel = 'batch.kubernetes.io/controller-uid';
export const jobNameLabel = 'batch.kubernetes.io/job-name';
export const legacyControllerUidLabel = 'controller-uid';
export const legacyJobNameLabel = 'job-name';

/** Job labels default to the template's labels when the job has none. */
function copyTemplateLabels(obj: KubeObject, spec: Obj): void {
  const template = objAt(spec.template);
  const tmeta = template ? objAt(template.metadata) : undefined;
  const labels = tmeta ? objAt(tmeta.labels) : undefined;
  const meta = metaOf(obj);
  if (labels && isObj(asObj(obj).metadata) && (!isObj(meta.labels) || Object.keys(meta.labels).length === 0)) {
    meta.labels = { ...labels };
  }
}

export function defaultJobSpec(spec: Obj): void {
  if ((spec.completions === undefined || spec.completions === null) && (spec.parallelism === undefined || spec.parallelism === null)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setDefault(spec, 'parallelism', 1);
  if (spec.backoffLimit === undefined || spec.backoffLimit === null) {
    spec.backoffLimit = spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null ? 2147483647 : 6;
  }
  setDefaultStr(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'podReplacementPolicy', isObj(spec.podFailurePolicy) ? 'Failed' : 'TerminatingOrFailed');
  setDefault(spec, 'manualSelector', false);
  defaultPodFailurePolicy(spec);
  field(spec, 'template');
  defaultPodTemplate(spec.template);
}

export function defaultPodFailurePolicy(spec: Obj): void {
  const pfp = objAt(spec.podFailurePolicy);
  for (const rule of objsAt(pfp?.rules)) for (const pat of objsAt(rule.onPodConditions)) setDefaultStr(pat, 'status', 'True');
}

function defaults(obj: KubeObject): void {
  const spec = field(obj, 'spec');
  if (!spec) return;
  copyTemplateLabels(obj, spec);
  defaultJobSpec(spec);
}

/** generateSelector: unique labels on the pods and a selector for them. */
function generateSelector(obj: KubeObject, spec: Obj): void {
  const meta = metaOf(obj);
  const uid = typeof meta.uid === 'string' ? meta.uid : '';
  const name = typeof meta.name === 'string' ? meta.name : '';
  const template = field(spec, 'template');
  const tmeta = template ? field(template, 'metadata') : undefined;
  const labels = tmeta ? field(tmeta, 'labels') : undefined;
  if (!labels) return;
  for (const k of [legacyJobNameLabel, jobNameLabel]) if (!Object.hasOwn(labels, k)) labels[k] = name;
  for (const k of [legacyControllerUidLabel, controllerUidLabel]) if (!Object.hasOwn(labels, k)) labels[k] = uid;
  const sel = field(spec, 'selector');
  const ml = sel ? field(sel, 'matchLabels') : undefined;
  if (ml && !Object.hasOwn(ml, controllerUidLabel)) ml[controllerUidLabel] = uid;
}

function prepareForCreate(obj: KubeObject): void {
  obj.status = {};
  ensureGeneratedName(obj);
  const spec = field(obj, 'spec');
  if (!spec) return;
  copyTemplateLabels(obj, spec);
  if (spec.manualSelector !== true) generateSelector(obj, spec);
  // The stored job is read back with defaulting: labels still empty take the (now generated) template labels.
  copyTemplateLabels(obj, spec);
}

function hasLabel(labels: Obj, k: string, expected: string, path: string, errs: FieldError[]): void {
  if (!Object.hasOwn(labels, k)) errs.push(fieldError.required(key(child(path, 'labels'), k), `must be '${expected}'`));
  else if (labels[k] !== expected) errs.push(fieldError.invalid(key(child(path, 'labels'), k), labels, `must be '${expected}'`));
}

function validateGeneratedSelector(obj: KubeObject, spec: Obj, errs: FieldError[]): void {
  if (spec.manualSelector === true || spec.selector === undefined || spec.selector === null) return;
  const meta = metaOf(obj);
  const uid = typeof meta.uid === 'string' ? meta.uid : '';
  const name = typeof meta.name === 'string' ? meta.name : '';
  if (uid === '') errs.push(fieldError.required('metadata.uid'));
  const template = objAt(spec.template);
  const tmeta = template ? objAt(template.metadata) : undefined;
  const labels = (tmeta ? objAt(tmeta.labels) : undefined) ?? {};
  const p = 'spec.template.metadata';
  hasLabel(labels, legacyControllerUidLabel, uid, p, errs);
  hasLabel(labels, legacyJobNameLabel, name, p, errs);
  hasLabel(labels, controllerUidLabel, uid, p, errs);
  hasLabel(labels, jobNameLabel, name, p, errs);
  const expected = { [controllerUidLabel]: uid, [jobNameLabel]: name, [legacyControllerUidLabel]: uid, [legacyJobNameLabel]: name };
  if (selectorConvertible(spec.selector) && !selectorMatches(spec.selector, expected)) {
    errs.push(fieldError.invalid('spec.selector', spec.selector, '`selector` not auto-generated'));
  }
}

function validate(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
  validateGeneratedSelector(obj, spec, errs);
  validateJobSpec(spec, 'spec', errs);
  if (spec.selector === undefined || spec.selector === null) errs.push(fieldError.required('spec.selector'));
  else errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  if (selectorConvertible(spec.selector) && spec.selector !== undefined && spec.selector !== null) {
    const tlabels = isObj(spec.template) && isObj(spec.template.metadata) ? spec.template.metadata.labels : undefined;
    if (!selectorMatches(spec.selector, tlabels)) errs.push(fieldError.invalid('spec.template.metadata.labels', tlabels ?? null, selectorMismatchMsg));
  }
  const completions = typeof spec.completions === 'number' ? spec.completions : 0;
  if (spec.completionMode === 'Indexed' && completions > 0) {
    const name = typeof metaOf(obj).name === 'string' ? metaOf(obj).name as string : '';
    const host = `${name}-${completions - 1}`;
    if (isDNS1123Label(host).length > 0) {
      errs.push(fieldError.invalid('metadata.name', name, `will not able to create pod with invalid DNS label: ${host}`));
    }
  }
  return errs;
}

function validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = isObj(asObj(obj).spec) ? asObj(obj).spec as Obj : {};
  const oldSpec = isObj(asObj(old).spec) ? asObj(old).spec as Obj : {};
  // Completions: immutable, except for indexed jobs scaled in tandem with parallelism.
  if (!semanticEqual(spec.completions, oldSpec.completions)) {
    if (spec.completionMode !== 'Indexed') errs.push(...validateImmutableField(spec.completions, oldSpec.completions, 'spec.completions'));
    else if (typeof spec.completions === 'number' && spec.completions !== spec.parallelism) {
      errs.push(fieldError.invalid('spec.completions', spec.completions, 'can only be modified in tandem with spec.parallelism'));
    }
  }
  errs.push(...validateImmutableField(spec.selector, oldSpec.selector, 'spec.selector'));
  // The template is immutable; a suspended job that never started may change its scheduling directives.
  const oldStatus = isObj(asObj(old).status) ? asObj(old).status as Obj : {};
  const mutableScheduling = oldSpec.suspend === true && (oldStatus.startTime === undefined || oldStatus.startTime === null);
  let oldTemplate = oldSpec.template;
  if (mutableScheduling && isObj(oldTemplate) && isObj(spec.template)) {
    const ot = deepClone(oldTemplate) as Obj;
    const nt = spec.template;
    const ots = field(ot, 'spec') ?? {};
    const nts = isObj(nt.spec) ? nt.spec : {};
    const ntAff = objAt(nts.affinity);
    const otAff = objAt(ots.affinity);
    if (!ntAff && otAff) {
      delete otAff.nodeAffinity;
      if (Object.keys(otAff).length === 0) delete ots.affinity;
    } else if (ntAff && !otAff) {
      ots.affinity = ntAff.nodeAffinity === undefined ? {} : { nodeAffinity: ntAff.nodeAffinity };
    } else if (ntAff && otAff) {
      if (ntAff.nodeAffinity === undefined) delete otAff.nodeAffinity; else otAff.nodeAffinity = ntAff.nodeAffinity;
    }
    for (const k of ['nodeSelector', 'tolerations', 'schedulingGates']) {
      if (nts[k] === undefined) delete ots[k]; else ots[k] = nts[k];
    }
    const ntm = isObj(nt.metadata) ? nt.metadata : {};
    const otm = field(ot, 'metadata') ?? {};
    for (const k of ['annotations', 'labels']) {
      if (ntm[k] === undefined) delete otm[k]; else otm[k] = ntm[k];
    }
    oldTemplate = ot;
  }
  if (!semanticEqual(spec.template, oldTemplate)) errs.push(fieldError.invalid('spec.template', spec.template ?? null, fieldImmutableErrorMsg));
  for (const k of ['completionMode', 'podFailurePolicy', 'backoffLimitPerIndex', 'managedBy', 'successPolicy']) {
    errs.push(...validateImmutableField(spec[k], oldSpec[k], child('spec', k)));
  }
  return errs;
}

export const jobStrategy: Strategy = strategy({
  namespaced: true,
  name: nameIsDNSSubdomain,
  specFields: ['spec'],
  defaults,
  prepareForCreate,
  prepareForUpdate(obj, old) {
    if (old.status === undefined) delete obj.status;
    else obj.status = deepCopy(old.status);
  },
  validate,
  validateUpdate,
});
