// apps/v1 DaemonSet: rolling update defaults (maxUnavailable 1, maxSurge 0),
// the template-generation annotation, ValidateDaemonSetSpec, immutable selector.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { getObject, getString, isObj, semanticEqual, setDefault, setDefaultStr } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { selectorConvertible, selectorIsEmpty, validateLabelSelector } from '../../api/validation/labelselector.ts';
import { nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { validateImmutableField } from '../../api/validation/objectmeta.ts';
import { validatePodTemplateSpec } from '../../api/validation/pod-spec.ts';
import type { Strategy } from '../types.ts';
import { asObj, field, metaOf, strategy } from './common.ts';
import { defaultPodTemplate } from './pod-defaults.ts';
import {
  intOrPercentValue, nonNegative, validateAlwaysRestart, validateNotMoreThan100Percent, validatePositiveIntOrPercent,
  validateSelectorMatchesTemplate,
} from './workload-common.ts';

export const templateGenerationAnnotation = 'deprecated.daemonset.template.generation';

function defaults(obj: KubeObject): void {
  const spec = field(obj, 'spec');
  if (!spec) return;
  const us = field(spec, 'updateStrategy');
  if (us) {
    setDefaultStr(us, 'type', 'RollingUpdate');
    if (us.type === 'RollingUpdate') {
      const ru = field(us, 'rollingUpdate');
      if (ru) {
        setDefault(ru, 'maxUnavailable', 1);
        setDefault(ru, 'maxSurge', 0);
      }
    }
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  field(spec, 'template');
  defaultPodTemplate(spec.template);
}

function templateGeneration(obj: KubeObject): number {
  const ann = metaOf(obj).annotations;
  const v = isObj(ann) ? ann[templateGenerationAnnotation] : undefined;
  const n = typeof v === 'string' && /^[0-9]+$/.test(v) ? Number.parseInt(v, 10) : 0;
  return n;
}

function setTemplateGeneration(obj: KubeObject, n: number): void {
  const meta = metaOf(obj);
  if (!isObj(asObj(obj).metadata)) return;
  if (meta.annotations === undefined || meta.annotations === null) meta.annotations = {};
  if (isObj(meta.annotations)) meta.annotations[templateGenerationAnnotation] = String(n);
}

function validateSpec(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  if (selectorConvertible(spec.selector)) validateSelectorMatchesTemplate(spec.selector, spec.template, 'spec.template', errs);
  if (isObj(spec.selector) && selectorIsEmpty(spec.selector)) {
    errs.push(fieldError.invalid('spec.selector', spec.selector, 'empty selector is invalid for daemonset'));
  }
  errs.push(...validatePodTemplateSpec(spec.template, 'spec.template'));
  validateAlwaysRestart(spec.template, 'spec.template', 'DaemonSet', errs);
  nonNegative(spec, 'minReadySeconds', 'spec', errs);
  const us = getObject(spec, 'updateStrategy', 'spec', errs) ?? {};
  const type = getString(us, 'type', 'spec.updateStrategy', errs) ?? '';
  if (type === 'RollingUpdate') {
    const ru = getObject(us, 'rollingUpdate', 'spec.updateStrategy', errs);
    if (!ru) {
      errs.push(fieldError.required('spec.updateStrategy.rollingUpdate'));
    } else {
      const p = 'spec.updateStrategy.rollingUpdate';
      validatePositiveIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`, errs);
      validatePositiveIntOrPercent(ru.maxSurge, `${p}.maxSurge`, errs);
      validateNotMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`, errs);
      validateNotMoreThan100Percent(ru.maxSurge, `${p}.maxSurge`, errs);
      const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
      const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
      if (hasUnavailable && hasSurge) errs.push(fieldError.invalid(`${p}.maxSurge`, ru.maxSurge, 'may not be set when maxUnavailable is non-zero'));
      if (!hasUnavailable && !hasSurge) errs.push(fieldError.required(`${p}.maxUnavailable`, 'cannot be 0 when maxSurge is 0'));
    }
  } else if (type !== 'OnDelete') {
    errs.push(fieldError.notSupported('spec.updateStrategy', us, ['RollingUpdate', 'OnDelete']));
  }
  nonNegative(spec, 'revisionHistoryLimit', 'spec', errs);
  return errs;
}

export const daemonSetStrategy: Strategy = strategy({
  namespaced: true,
  name: nameIsDNSSubdomain,
  status: () => ({ currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 }),
  specFields: ['spec'],
  defaults,
  prepareForCreate(obj) {
    if (templateGeneration(obj) < 1) setTemplateGeneration(obj, 1);
  },
  prepareForUpdate(obj, old) {
    const s = isObj(asObj(obj).spec) ? asObj(obj).spec as Obj : {};
    const os = isObj(asObj(old).spec) ? asObj(old).spec as Obj : {};
    const oldGen = Math.max(templateGeneration(old), 1);
    setTemplateGeneration(obj, semanticEqual(s.template, os.template) ? oldGen : oldGen + 1);
  },
  validate: validateSpec,
  validateUpdate(obj, old) {
    const s = isObj(asObj(obj).spec) ? asObj(obj).spec as Obj : {};
    const os = isObj(asObj(old).spec) ? asObj(old).spec as Obj : {};
    return validateImmutableField(s.selector, os.selector, 'spec.selector');
  },
});
