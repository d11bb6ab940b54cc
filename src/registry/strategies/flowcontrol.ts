// flowcontrol.apiserver.k8s.io/v1 FlowSchema and PriorityLevelConfiguration.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import { child } from '../../api/validation/fieldpath.ts';
import { getBool, getInt, getObject, getObjectList, getString, getStringArray, objAt, setDefault } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { inclusiveRangeError, nameIsDNSSubdomain } from '../../api/validation/names.ts';
import type { Strategy } from '../types.ts';
import { asObj, field, strategy } from './common.ts';

function validateSubject(s: Obj, path: string, errs: FieldError[]): void {
  const kind = getString(s, 'kind', path, errs) ?? '';
  const kinds = ['Group', 'ServiceAccount', 'User'];
  const sub: Record<string, string> = { User: 'user', Group: 'group', ServiceAccount: 'serviceAccount' };
  if (!kinds.includes(kind)) { errs.push(fieldError.notSupported(child(path, 'kind'), kind, kinds)); return; }
  const k = sub[kind] as string;
  const v = getObject(s, k, path, errs);
  if (!v) { errs.push(fieldError.required(child(path, k), `must specify ${k} when subject kind is ${kind}`)); return; }
  if ((getString(v, 'name', child(path, k), errs) ?? '') === '') errs.push(fieldError.required(child(path, k, 'name'), `must specify ${k} name`));
  if (kind === 'ServiceAccount' && (getString(v, 'namespace', child(path, k), errs) ?? '') === '') {
    errs.push(fieldError.required(child(path, k, 'namespace'), 'must specify namespace for service account'));
  }
}

export const flowSchemaStrategy: Strategy = strategy({
  namespaced: false,
  name: nameIsDNSSubdomain,
  status: () => ({}),
  specFields: ['spec'],
  defaults(obj) {
    const spec = field(obj, 'spec');
    if (spec && (spec.matchingPrecedence === undefined || spec.matchingPrecedence === null || spec.matchingPrecedence === 0)) spec.matchingPrecedence = 1000;
  },
  validate(obj) {
    const errs: FieldError[] = [];
    const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
    const plc = getObject(spec, 'priorityLevelConfiguration', 'spec', errs) ?? {};
    if ((getString(plc, 'name', 'spec.priorityLevelConfiguration', errs) ?? '') === '') errs.push(fieldError.required('spec.priorityLevelConfiguration.name', 'must reference a priority level'));
    const mp = getInt(spec, 'matchingPrecedence', 'spec', errs) ?? 0;
    if (mp < 1 || mp > 10000) errs.push(fieldError.invalid('spec.matchingPrecedence', mp, inclusiveRangeError(1, 10000)));
    const dm = getObject(spec, 'distinguisherMethod', 'spec', errs);
    if (dm) {
      const t = getString(dm, 'type', 'spec.distinguisherMethod', errs) ?? '';
      if (t !== 'ByUser' && t !== 'ByNamespace') errs.push(fieldError.notSupported('spec.distinguisherMethod.type', t, ['ByNamespace', 'ByUser']));
    }
    for (const { item: rule, path } of getObjectList(spec, 'rules', 'spec', errs)) {
      const subjects = getObjectList(rule, 'subjects', path, errs);
      if (subjects.length === 0) errs.push(fieldError.required(child(path, 'subjects'), 'subjects must contain at least one value'));
      for (const { item: s, path: sp } of subjects) validateSubject(s, sp, errs);
      const rr = getObjectList(rule, 'resourceRules', path, errs);
      const nr = getObjectList(rule, 'nonResourceRules', path, errs);
      if (rr.length === 0 && nr.length === 0) errs.push(fieldError.required(path, 'at least one of resourceRules and nonResourceRules has to be non-empty'));
      for (const { item: r, path: rp } of rr) {
        for (const k of ['verbs', 'apiGroups', 'resources']) {
          if ((getStringArray(r, k, rp, errs) ?? []).length === 0) errs.push(fieldError.required(child(rp, k), `${k} must contain at least one value`));
        }
        const cs = getBool(r, 'clusterScope', rp, errs) ?? false;
        if (!cs && (getStringArray(r, 'namespaces', rp, errs) ?? []).length === 0) {
          errs.push(fieldError.required(child(rp, 'namespaces'), 'resource rules that are not cluster scoped must supply at least one namespace'));
        }
      }
      for (const { item: r, path: rp } of nr) {
        for (const k of ['verbs', 'nonResourceURLs']) {
          if ((getStringArray(r, k, rp, errs) ?? []).length === 0) errs.push(fieldError.required(child(rp, k), `${k} must contain at least one value`));
        }
      }
    }
    return errs;
  },
});

export const priorityLevelConfigurationStrategy: Strategy = strategy({
  namespaced: false,
  name: nameIsDNSSubdomain,
  status: () => ({}),
  specFields: ['spec'],
  defaults(obj) {
    const spec = field(obj, 'spec');
    if (!spec) return;
    const exempt = objAt(spec.exempt);
    if (exempt) { setDefault(exempt, 'nominalConcurrencyShares', 0); setDefault(exempt, 'lendablePercent', 0); }
    const limited = objAt(spec.limited);
    if (limited) {
      if (limited.nominalConcurrencyShares === undefined || limited.nominalConcurrencyShares === null || limited.nominalConcurrencyShares === 0) {
        limited.nominalConcurrencyShares = 30;
      }
      setDefault(limited, 'lendablePercent', 0);
      const lr = objAt(limited.limitResponse);
      const q = lr ? objAt(lr.queuing) : undefined;
      if (q) {
        for (const [k, v] of [['handSize', 8], ['queues', 64], ['queueLengthLimit', 50]] as const) {
          if (q[k] === undefined || q[k] === null || q[k] === 0) q[k] = v;
        }
      }
    }

  },
  validate(obj) {
    const errs: FieldError[] = [];
    const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
    const type = getString(spec, 'type', 'spec', errs) ?? '';
    const limited = getObject(spec, 'limited', 'spec', errs);
    const exempt = getObject(spec, 'exempt', 'spec', errs);
    if (type === 'Exempt') {
      if (limited) errs.push(fieldError.forbidden('spec.limited', 'must be nil if the type is not Limited'));
      if (exempt) {
        const ncs = getInt(exempt, 'nominalConcurrencyShares', 'spec.exempt', errs);
        if (ncs !== undefined && ncs < 0) errs.push(fieldError.invalid('spec.exempt.nominalConcurrencyShares', ncs, 'must be a non-negative integer'));
        const lp = getInt(exempt, 'lendablePercent', 'spec.exempt', errs);
        if (lp !== undefined && (lp < 0 || lp > 100)) errs.push(fieldError.invalid('spec.exempt.lendablePercent', lp, 'must be between 0 and 100, inclusive'));
      }
    } else if (type === 'Limited') {
      if (exempt) errs.push(fieldError.forbidden('spec.exempt', 'must be nil if the type is Limited'));
      if (!limited) { errs.push(fieldError.required('spec.limited', 'must not be empty when type is Limited')); return errs; }
      const p = 'spec.limited';
      const ncs = getInt(limited, 'nominalConcurrencyShares', p, errs);
      if (ncs !== undefined && ncs < 0) errs.push(fieldError.invalid(`${p}.nominalConcurrencyShares`, ncs, 'must be a non-negative integer'));
      const lp = getInt(limited, 'lendablePercent', p, errs);
      if (lp !== undefined && (lp < 0 || lp > 100)) errs.push(fieldError.invalid(`${p}.lendablePercent`, lp, 'must be between 0 and 100, inclusive'));
      const blp = getInt(limited, 'borrowingLimitPercent', p, errs);
      if (blp !== undefined && blp < 0) errs.push(fieldError.invalid(`${p}.borrowingLimitPercent`, blp, 'if specified, must be a non-negative integer'));
      const lr = getObject(limited, 'limitResponse', p, errs) ?? {};
      const lrt = getString(lr, 'type', `${p}.limitResponse`, errs) ?? '';
      const q = getObject(lr, 'queuing', `${p}.limitResponse`, errs);
      if (lrt === 'Queue') {
        if (!q) errs.push(fieldError.required(`${p}.limitResponse.queuing`, 'must not be empty if the type is Queue'));
        else {
          const qp = `${p}.limitResponse.queuing`;
          const queues = getInt(q, 'queues', qp, errs) ?? 0;
          const hand = getInt(q, 'handSize', qp, errs) ?? 0;
          const qll = getInt(q, 'queueLengthLimit', qp, errs) ?? 0;
          if (queues <= 0) errs.push(fieldError.invalid(`${qp}.queues`, queues, 'must be positive'));
          if (qll <= 0) errs.push(fieldError.invalid(`${qp}.queueLengthLimit`, qll, 'must be positive'));
          if (hand <= 0) errs.push(fieldError.invalid(`${qp}.handSize`, hand, 'must be positive'));
          else if (hand > queues) errs.push(fieldError.invalid(`${qp}.handSize`, hand, `should not be greater than queues (${queues})`));
        }
      } else if (lrt === 'Reject') {
        if (q) errs.push(fieldError.forbidden(`${p}.limitResponse.queuing`, 'must be nil if limited.limitResponse.type is not Limited'));
      } else {
        errs.push(fieldError.notSupported(`${p}.limitResponse.type`, lrt, ['Queue', 'Reject']));
      }
    } else {
      errs.push(fieldError.notSupported('spec.type', type, ['Exempt', 'Limited']));
    }
    return errs;
  },
});
