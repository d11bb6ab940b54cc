// JobSpec validation shared by Jobs and CronJob job templates (validateJobSpec).

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import { child, index } from '../../api/validation/fieldpath.ts';
import { getInt, getObject, getObjectList, getString, isObj, objAt, typeInvalid } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { isDomainPrefixedPath, isQualifiedName } from '../../api/validation/names.ts';
import { validatePodTemplateSpec } from '../../api/validation/pod-spec.ts';
import { nonNegative } from './workload-common.ts';

const maxParallelismForIndexedJob = 100000;
const maxFailedIndexesForIndexedJob = 100000;
const completionsSoftLimit = 100000;
const parallelismLimitForHighCompletions = 10000;
const maxFailedIndexesLimitForHighCompletions = 10000;
const podFailurePolicyActions = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
const conditionStatuses = ['False', 'True', 'Unknown'];

function quoteList(items: string[]): string {
  return `[${items.map((s) => JSON.stringify(s)).join(' ')}]`;
}

function validatePodFailurePolicy(spec: Obj, path: string, errs: FieldError[]): void {
  const pfp = getObject(spec, 'podFailurePolicy', 'spec', []) ?? {};
  const rulesPath = child(path, 'rules');
  const rules = getObjectList(pfp, 'rules', path, errs);
  if (rules.length > 20) errs.push(fieldError.tooMany(rulesPath, rules.length, 20));
  const template = objAt(spec.template);
  const tspec = template ? objAt(template.spec) : undefined;
  const names = new Set<string>();
  for (const k of ['containers', 'initContainers']) {
    for (const c of Array.isArray(tspec?.[k]) ? tspec[k] as unknown[] : []) if (isObj(c) && typeof c.name === 'string') names.add(c.name);
  }
  for (const { item: rule, path: rp } of rules) {
    const action = getString(rule, 'action', rp, errs) ?? '';
    const ap = child(rp, 'action');
    if (action === '') errs.push(fieldError.required(ap, `valid values: ${quoteList(podFailurePolicyActions)}`));
    else if (action === 'FailIndex') {
      if (spec.backoffLimitPerIndex === undefined || spec.backoffLimitPerIndex === null) {
        errs.push(fieldError.invalid(ap, action, 'requires the backoffLimitPerIndex to be set'));
      }
    } else if (!podFailurePolicyActions.includes(action)) errs.push(fieldError.notSupported(ap, action, podFailurePolicyActions));
    const onExit = getObject(rule, 'onExitCodes', rp, errs);
    const onConds = getObjectList(rule, 'onPodConditions', rp, errs);
    if (onExit) {
      const ep = child(rp, 'onExitCodes');
      const op = getString(onExit, 'operator', ep, errs) ?? '';
      if (op === '') errs.push(fieldError.required(child(ep, 'operator'), `valid values: ${quoteList(['In', 'NotIn'])}`));
      else if (op !== 'In' && op !== 'NotIn') errs.push(fieldError.notSupported(child(ep, 'operator'), op, ['In', 'NotIn']));
      const cn = getString(onExit, 'containerName', ep, errs);
      if (cn !== undefined && !names.has(cn)) {
        errs.push(fieldError.invalid(child(ep, 'containerName'), cn, 'must be one of the container or initContainer names in the pod template'));
      }
      const values = Array.isArray(onExit.values) ? onExit.values : [];
      const vp = child(ep, 'values');
      if (values.length === 0) errs.push(fieldError.invalid(vp, values, 'at least one value is required'));
      else if (values.length > 255) errs.push(fieldError.tooMany(vp, values.length, 255));
      const seen = new Set<unknown>();
      let ordered = true;
      values.forEach((v, j) => {
        if (typeof v !== 'number' || !Number.isInteger(v)) { errs.push(typeInvalid(index(vp, j), v, 'integer')); return; }
        if (op === 'In' && v === 0) errs.push(fieldError.invalid(index(vp, j), v, 'must not be 0 for the In operator'));
        if (seen.has(v)) errs.push(fieldError.duplicate(index(vp, j), v));
        seen.add(v);
        if (j > 0 && (values[j - 1] as number) > v) ordered = false;
      });
      if (!ordered) errs.push(fieldError.invalid(vp, values, 'must be ordered'));
    }
    if (onConds.length > 20) errs.push(fieldError.tooMany(child(rp, 'onPodConditions'), onConds.length, 20));
    for (const { item: pat, path: pp } of onConds) {
      const type = getString(pat, 'type', pp, errs) ?? '';
      for (const m of isQualifiedName(type)) errs.push(fieldError.invalid(child(pp, 'type'), type, m));
      const status = getString(pat, 'status', pp, errs) ?? '';
      if (status === '') errs.push(fieldError.required(child(pp, 'status'), `valid values: ${quoteList(conditionStatuses)}`));
      else if (!conditionStatuses.includes(status)) errs.push(fieldError.notSupported(child(pp, 'status'), status, conditionStatuses));
    }
    if (onExit && onConds.length > 0) errs.push(fieldError.invalid(rp, '', 'specifying both OnExitCodes and OnPodConditions is not supported'));
    if (!onExit && onConds.length === 0) errs.push(fieldError.invalid(rp, '', 'specifying one of OnExitCodes and OnPodConditions is required'));
  }
}

/** validateJobSpec: counts and limits, completion mode rules, policies, and the pod template. */
export function validateJobSpec(spec: Obj, path: string, errs: FieldError[]): void {
  const parallelism = nonNegative(spec, 'parallelism', path, errs);
  const completions = nonNegative(spec, 'completions', path, errs);
  nonNegative(spec, 'activeDeadlineSeconds', path, errs);
  nonNegative(spec, 'backoffLimit', path, errs);
  nonNegative(spec, 'ttlSecondsAfterFinished', path, errs);
  const blpi = nonNegative(spec, 'backoffLimitPerIndex', path, errs);
  const mfi = nonNegative(spec, 'maxFailedIndexes', path, errs);
  if (mfi !== undefined && blpi === undefined) errs.push(fieldError.required(child(path, 'backoffLimitPerIndex'), 'when maxFailedIndexes is specified'));
  const managedBy = getString(spec, 'managedBy', path, errs);
  if (managedBy !== undefined) {
    for (const e of isDomainPrefixedPath(managedBy)) errs.push(fieldError.invalid(child(path, 'managedBy'), e.value, e.msg));
    if (managedBy.length > 63) errs.push(fieldError.tooLong(child(path, 'managedBy'), managedBy, 63));
  }
  const mode = getString(spec, 'completionMode', path, errs);
  if (mode !== undefined) {
    if (mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(fieldError.notSupported(child(path, 'completionMode'), mode, ['NonIndexed', 'Indexed']));
    if (mode === 'Indexed') {
      if (completions === undefined) errs.push(fieldError.required(child(path, 'completions'), 'when completion mode is Indexed'));
      if (parallelism !== undefined && parallelism > maxParallelismForIndexedJob) {
        errs.push(fieldError.invalid(child(path, 'parallelism'), parallelism, `must be less than or equal to ${maxParallelismForIndexedJob} when completion mode is Indexed`));
      }
      if (completions !== undefined && mfi !== undefined && mfi > completions) {
        errs.push(fieldError.invalid(child(path, 'maxFailedIndexes'), mfi, 'must be less than or equal to completions'));
      }
      if (mfi !== undefined && mfi > maxFailedIndexesForIndexedJob) {
        errs.push(fieldError.invalid(child(path, 'maxFailedIndexes'), mfi, `must be less than or equal to ${maxFailedIndexesForIndexedJob}`));
      }
      if (completions !== undefined && completions > completionsSoftLimit && blpi !== undefined) {
        if (mfi === undefined) errs.push(fieldError.required(child(path, 'maxFailedIndexes'), `must be specified when completions is above ${completionsSoftLimit}`));
        if (parallelism !== undefined && parallelism > parallelismLimitForHighCompletions) {
          errs.push(fieldError.invalid(child(path, 'parallelism'), parallelism, `must be less than or equal to ${parallelismLimitForHighCompletions} when completions are above ${completionsSoftLimit} and used with backoff limit per index`));
        }
        if (mfi !== undefined && mfi > maxFailedIndexesLimitForHighCompletions) {
          errs.push(fieldError.invalid(child(path, 'maxFailedIndexes'), mfi, `must be less than or equal to ${maxFailedIndexesLimitForHighCompletions} when completions are above ${completionsSoftLimit} and used with backoff limit per index`));
        }
      }
    }
  }
  if (mode === undefined || mode === 'NonIndexed') {
    if (blpi !== undefined) errs.push(fieldError.invalid(child(path, 'backoffLimitPerIndex'), blpi, 'requires indexed completion mode'));
    if (mfi !== undefined) errs.push(fieldError.invalid(child(path, 'maxFailedIndexes'), mfi, 'requires indexed completion mode'));
  }
  const hasPFP = isObj(spec.podFailurePolicy);
  if (hasPFP) validatePodFailurePolicy(spec, child(path, 'podFailurePolicy'), errs);
  else getObject(spec, 'podFailurePolicy', path, errs);
  const sp = getObject(spec, 'successPolicy', path, errs);
  if (sp) {
    if ((mode ?? 'NonIndexed') !== 'Indexed') {
      errs.push(fieldError.invalid(child(path, 'successPolicy'), sp, 'requires indexed completion mode'));
    } else {
      const rules = getObjectList(sp, 'rules', child(path, 'successPolicy'), errs);
      const rp = child(path, 'successPolicy', 'rules');
      if (rules.length === 0) errs.push(fieldError.required(rp, 'at least one rules must be specified when the successPolicy is specified'));
      if (rules.length > 20) errs.push(fieldError.tooMany(rp, rules.length, 20));
      for (const { item: rule, path: p } of rules) {
        const count = getInt(rule, 'succeededCount', p, errs);
        const idx = getString(rule, 'succeededIndexes', p, errs);
        if (count === undefined && idx === undefined) errs.push(fieldError.required(p, 'at least one of succeededCount or succeededIndexes must be specified'));
        if (count !== undefined) {
          if (count < 0) errs.push(fieldError.invalid(child(p, 'succeededCount'), count, 'must be greater than or equal to 0'));
          if (completions !== undefined && count > completions) {
            errs.push(fieldError.invalid(child(p, 'succeededCount'), count, `must be less than or equal to ${completions} (the number of specified completions)`));
          }
        }
      }
    }
  }
  const prp = getString(spec, 'podReplacementPolicy', path, errs);
  if (prp !== undefined) {
    const pp = child(path, 'podReplacementPolicy');
    if (hasPFP) {
      if (prp !== 'Failed') errs.push(fieldError.notSupported(pp, prp, ['Failed']));
    } else if (prp !== 'Failed' && prp !== 'TerminatingOrFailed') {
      errs.push(fieldError.notSupported(pp, prp, ['Failed', 'TerminatingOrFailed']));
    }
  }
  const tp = child(path, 'template');
  errs.push(...validatePodTemplateSpec(spec.template, tp));
  const tspec = isObj(spec.template) && isObj(spec.template.spec) ? spec.template.spec : {};
  const rpol = typeof tspec.restartPolicy === 'string' ? tspec.restartPolicy : '';
  const rpPath = child(tp, 'spec', 'restartPolicy');
  if (rpol === 'Always' || rpol === '') errs.push(fieldError.required(rpPath, 'valid values: "OnFailure", "Never"'));
  else if (rpol !== 'OnFailure' && rpol !== 'Never') errs.push(fieldError.notSupported(rpPath, rpol, ['OnFailure', 'Never']));
  else if (hasPFP && rpol !== 'Never') errs.push(fieldError.invalid(rpPath, rpol, 'only "Never" is supported when podFailurePolicy is specified'));
}
