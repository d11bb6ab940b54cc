// apps/v1 StatefulSet: defaults (pod management, rolling update partition, PVC
// retention, replicas, history, claim templates), ValidateStatefulSetSpec, and
// the fields an update may change.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { deepClone, getObject, getString, isObj, objAt, objsAt, semanticEqual, setDefault, setDefaultStr } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { selectorConvertible } from '../../api/validation/labelselector.ts';
import { nameIsDNSLabel } from '../../api/validation/names.ts';
import { validateAnnotations, validateLabels } from '../../api/validation/objectmeta.ts';
import type { Strategy } from '../types.ts';
import { asObj, field, strategy } from './common.ts';
import { defaultPVCSpec, defaultPodTemplate } from './pod-defaults.ts';
import {
  intOrPercentValue, nonNegative, validateAlwaysRestart, validateNotMoreThan100Percent, validatePositiveIntOrPercent,
  validateRequiredSelector, validateSelectorMatchesTemplate,
} from './workload-common.ts';

function defaults(obj: KubeObject): void {
  const spec = field(obj, 'spec');
  if (!spec) return;
  setDefaultStr(spec, 'podManagementPolicy', 'OrderedReady');
  const us = field(spec, 'updateStrategy');
  if (us) {
    if (us.type === undefined || us.type === null || us.type === '') {
      us.type = 'RollingUpdate';
      setDefault(us, 'rollingUpdate', {});
    }
    const ru = objAt(us.rollingUpdate);
    if (us.type === 'RollingUpdate' && ru) setDefault(ru, 'partition', 0);
  }
  const retention = field(spec, 'persistentVolumeClaimRetentionPolicy');
  if (retention) {
    setDefaultStr(retention, 'whenDeleted', 'Retain');
    setDefaultStr(retention, 'whenScaled', 'Retain');
  }
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'revisionHistoryLimit', 10);
  field(spec, 'template');
  defaultPodTemplate(spec.template);
  for (const pvc of objsAt(spec.volumeClaimTemplates)) {
    setDefault(pvc, 'apiVersion', 'v1');
    setDefault(pvc, 'kind', 'PersistentVolumeClaim');
    const s = field(pvc, 'spec');
    if (s) defaultPVCSpec(s);
    const st = field(pvc, 'status');
    if (st) setDefaultStr(st, 'phase', 'Pending');
  }
}

function validateSpec(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
  const pmp = getString(spec, 'podManagementPolicy', 'spec', errs) ?? '';
  if (pmp === '') errs.push(fieldError.required('spec.podManagementPolicy'));
  else if (pmp !== 'OrderedReady' && pmp !== 'Parallel') errs.push(fieldError.invalid('spec.podManagementPolicy', pmp, "must be 'OrderedReady' or 'Parallel'"));
  const us = getObject(spec, 'updateStrategy', 'spec', errs) ?? {};
  const type = getString(us, 'type', 'spec.updateStrategy', errs) ?? '';
  const ru = getObject(us, 'rollingUpdate', 'spec.updateStrategy', errs);
  if (type === '') errs.push(fieldError.required('spec.updateStrategy'));
  else if (type === 'OnDelete') {
    if (ru) errs.push(fieldError.invalid('spec.updateStrategy.rollingUpdate', ru, "only allowed for updateStrategy 'RollingUpdate'"));
  } else if (type === 'RollingUpdate') {
    if (ru) {
      const p = 'spec.updateStrategy.rollingUpdate';
      nonNegative(ru, 'partition', p, errs);
      if (ru.maxUnavailable !== undefined && ru.maxUnavailable !== null) {
        validatePositiveIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`, errs);
        if (intOrPercentValue(ru.maxUnavailable) === 0) errs.push(fieldError.invalid(`${p}.maxUnavailable`, ru.maxUnavailable, 'cannot be 0'));
        validateNotMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`, errs);
      }
    }
  } else {
    errs.push(fieldError.invalid('spec.updateStrategy', us, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const retention = objAt(spec.persistentVolumeClaimRetentionPolicy);
  if (retention) {
    for (const k of ['whenDeleted', 'whenScaled']) {
      const v = retention[k];
      if (v !== 'Retain' && v !== 'Delete') errs.push(fieldError.notSupported(`spec.persistentVolumeClaimRetentionPolicy.${k}`, v ?? '', ['Retain', 'Delete']));
    }
  }
  nonNegative(spec, 'replicas', 'spec', errs);
  nonNegative(spec, 'minReadySeconds', 'spec', errs);
  const ordinals = objAt(spec.ordinals);
  if (ordinals) nonNegative(ordinals, 'start', 'spec.ordinals', errs);
  getString(spec, 'serviceName', 'spec', errs);
  validateRequiredSelector(spec, 'spec', 'statefulset', errs);
  if (!selectorConvertible(spec.selector)) {
    errs.push(fieldError.invalid('spec.selector', spec.selector ?? null, ''));
  } else {
    // Upstream checks only the template's labels and annotations here, not its pod spec.
    validateSelectorMatchesTemplate(spec.selector, spec.template, 'spec.template', errs);
    const meta = isObj(spec.template) && isObj(spec.template.metadata) ? spec.template.metadata : {};
    errs.push(...validateLabels(meta.labels, 'spec.template.labels'));
    errs.push(...validateAnnotations(meta.annotations, 'spec.template.annotations'));
  }
  validateAlwaysRestart(spec.template, 'spec.template', 'StatefulSet', errs);
  return errs;
}

function validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const s = isObj(asObj(obj).spec) ? deepClone(asObj(obj).spec as Obj) : {};
  const os = isObj(asObj(old).spec) ? asObj(old).spec as Obj : {};
  for (const k of ['replicas', 'template', 'updateStrategy', 'minReadySeconds', 'ordinals', 'persistentVolumeClaimRetentionPolicy']) {
    if (os[k] === undefined) delete s[k]; else s[k] = os[k];
  }
  if (!semanticEqual(s, os)) {
    return [fieldError.forbidden('spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")];
  }
  return [];
}

export const statefulSetStrategy: Strategy = strategy({
  namespaced: true,
  name: nameIsDNSLabel,
  status: () => ({ availableReplicas: 0, replicas: 0 }),
  specFields: ['spec'],
  defaults,
  validate: validateSpec,
  validateUpdate,
});
