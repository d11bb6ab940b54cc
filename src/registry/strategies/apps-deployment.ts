// apps/v1 Deployment: defaults (replicas, rolling update 25%/25%, history and
// progress deadline, pod template), ValidateDeploymentSpec, immutable selector.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { getObject, getString, isObj, objAt, setDefault, setDefaultStr } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { validateImmutableField } from '../../api/validation/objectmeta.ts';
import type { Strategy } from '../types.ts';
import { asObj, field, strategy } from './common.ts';
import { defaultPodTemplate } from './pod-defaults.ts';
import {
  intOrPercentValue, nonNegative, validateNotMoreThan100Percent, validatePositiveIntOrPercent, validateRequiredSelector,
  validateTemplateForReplicaSet,
} from './workload-common.ts';

function defaults(obj: KubeObject): void {
  const spec = field(obj, 'spec');
  if (!spec) return;
  setDefault(spec, 'replicas', 1);
  const st = field(spec, 'strategy');
  if (st) {
    setDefaultStr(st, 'type', 'RollingUpdate');
    if (st.type === 'RollingUpdate') {
      const ru = field(st, 'rollingUpdate');
      if (ru) {
        setDefault(ru, 'maxUnavailable', '25%');
        setDefault(ru, 'maxSurge', '25%');
      }
    }
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  field(spec, 'template');
  defaultPodTemplate(spec.template);
}

function validateStrategy(spec: Obj, errs: FieldError[]): void {
  const path = 'spec.strategy';
  const st = getObject(spec, 'strategy', 'spec', errs) ?? {};
  const type = getString(st, 'type', path, errs) ?? '';
  if (type === 'Recreate') {
    if (st.rollingUpdate !== undefined && st.rollingUpdate !== null) {
      errs.push(fieldError.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
    }
  } else if (type === 'RollingUpdate') {
    const ru = getObject(st, 'rollingUpdate', path, errs);
    if (!ru) {
      errs.push(fieldError.required('spec.strategy.rollingUpdate', 'this should be defaulted and never be nil'));
      return;
    }
    const up = 'spec.strategy.rollingUpdate';
    validatePositiveIntOrPercent(ru.maxUnavailable, `${up}.maxUnavailable`, errs);
    validatePositiveIntOrPercent(ru.maxSurge, `${up}.maxSurge`, errs);
    if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
      errs.push(fieldError.invalid(`${up}.maxUnavailable`, ru.maxUnavailable ?? 0, 'may not be 0 when `maxSurge` is 0'));
    }
    validateNotMoreThan100Percent(ru.maxUnavailable, `${up}.maxUnavailable`, errs);
  } else {
    errs.push(fieldError.notSupported(path, st, ['Recreate', 'RollingUpdate']));
  }
}

function validateSpec(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
  nonNegative(spec, 'replicas', 'spec', errs);
  const ok = validateRequiredSelector(spec, 'spec', 'deployment', errs);
  if (!ok) errs.push(fieldError.invalid('spec.selector', spec.selector ?? null, 'invalid label selector'));
  else validateTemplateForReplicaSet(spec.template, spec.selector, 'spec.template', errs);
  validateStrategy(spec, errs);
  const minReady = nonNegative(spec, 'minReadySeconds', 'spec', errs) ?? 0;
  nonNegative(spec, 'revisionHistoryLimit', 'spec', errs);
  const rollback = objAt(spec.rollbackTo);
  if (rollback) nonNegative(rollback, 'revision', 'spec.rollback', errs);
  const pds = nonNegative(spec, 'progressDeadlineSeconds', 'spec', errs);
  if (pds !== undefined && pds <= minReady) {
    errs.push(fieldError.invalid('spec.progressDeadlineSeconds', pds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

export const deploymentStrategy: Strategy = strategy({
  namespaced: true,
  name: nameIsDNSSubdomain,
  status: () => ({}),
  specFields: ['spec'],
  defaults,
  validate: validateSpec,
  validateUpdate(obj, old) {
    const s = isObj(asObj(obj).spec) ? asObj(obj).spec as Obj : {};
    const os = isObj(asObj(old).spec) ? asObj(old).spec as Obj : {};
    return validateImmutableField(s.selector, os.selector, 'spec.selector');
  },
});
