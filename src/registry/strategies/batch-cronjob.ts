// batch/v1 CronJob: concurrency, suspend and history defaults, the schedule
// (cron syntax, time zones), and the job template.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { cronScheduleError, isKnownTimeZone } from '../../api/validation/cron.ts';
import { getObject, getString, setDefault, setDefaultStr } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { nameIsDNSSubdomain } from '../../api/validation/names.ts';
import type { Strategy } from '../types.ts';
import { asObj, field, metaOf, strategy } from './common.ts';
import { validateJobSpec } from './batch-jobspec.ts';
import { defaultPodFailurePolicy } from './batch-job.ts';
import { defaultPodTemplate } from './pod-defaults.ts';
import { nonNegative } from './workload-common.ts';

function defaults(obj: KubeObject): void {
  const spec = field(obj, 'spec');
  if (!spec) return;
  setDefaultStr(spec, 'concurrencyPolicy', 'Allow');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'successfulJobsHistoryLimit', 3);
  setDefault(spec, 'failedJobsHistoryLimit', 1);
  const jt = field(spec, 'jobTemplate');
  if (!jt) return;
  setDefault(jt, 'metadata', {});
  const js = field(jt, 'spec');
  if (!js) return;
  defaultPodFailurePolicy(js);
  field(js, 'template');
  defaultPodTemplate(js.template);
}

const timeZoneChars = /^[A-Za-z.\-_0-9+]{1,14}$/;

function validateTimeZone(tz: string, errs: FieldError[]): void {
  const p = 'spec.timeZone';
  if (tz.length === 0) { errs.push(fieldError.invalid(p, tz, 'timeZone must be nil or non-empty string')); return; }
  for (const part of tz.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !timeZoneChars.test(part)) {
      errs.push(fieldError.invalid(p, tz, `unknown time zone ${tz}`));
      return;
    }
  }
  if (tz.toLowerCase() === 'local') errs.push(fieldError.invalid(p, tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'));
  if (!isKnownTimeZone(tz)) errs.push(fieldError.invalid(p, tz, `unknown time zone ${tz}`));
}

function validate(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = metaOf(obj).name;
  if (typeof name === 'string' && name.length > 52) errs.push(fieldError.invalid('metadata.name', name, 'must be no more than 52 characters'));
  const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
  const schedule = getString(spec, 'schedule', 'spec', errs) ?? '';
  if (schedule.length === 0) errs.push(fieldError.required('spec.schedule'));
  else {
    const bad = cronScheduleError(schedule);
    if (bad) errs.push(fieldError.invalid('spec.schedule', schedule, bad));
  }
  nonNegative(spec, 'startingDeadlineSeconds', 'spec', errs);
  const tz = getString(spec, 'timeZone', 'spec', errs);
  if (tz !== undefined) validateTimeZone(tz, errs);
  const cp = getString(spec, 'concurrencyPolicy', 'spec', errs) ?? '';
  if (cp === '') errs.push(fieldError.required('spec.concurrencyPolicy'));
  else if (!['Allow', 'Forbid', 'Replace'].includes(cp)) errs.push(fieldError.notSupported('spec.concurrencyPolicy', cp, ['Allow', 'Forbid', 'Replace']));
  const jt = getObject(spec, 'jobTemplate', 'spec', errs) ?? {};
  const js: Obj = getObject(jt, 'spec', 'spec.jobTemplate', errs) ?? {};
  validateJobSpec(js, 'spec.jobTemplate.spec', errs);
  if (js.selector !== undefined && js.selector !== null) {
    errs.push(fieldError.invalid('spec.jobTemplate.spec.selector', js.selector, '`selector` will be auto-generated'));
  }
  if (js.manualSelector === true) errs.push(fieldError.notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  nonNegative(spec, 'successfulJobsHistoryLimit', 'spec', errs);
  nonNegative(spec, 'failedJobsHistoryLimit', 'spec', errs);

  return errs;
}

/** TZ in the schedule is refused for new cron jobs, and for updates unless the old schedule had it already. */
function scheduleTimeZone(obj: KubeObject, old?: KubeObject): FieldError[] {
  const schedule = (asObj(obj).spec as { schedule?: unknown } | undefined)?.schedule;
  if (typeof schedule !== 'string' || !schedule.includes('TZ')) return [];
  const before = (old && (asObj(old).spec as { schedule?: unknown } | undefined)?.schedule);
  if (typeof before === 'string' && before.includes('TZ')) return [];
  return [fieldError.invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead')];
}

export const cronJobStrategy: Strategy = strategy({
  namespaced: true,
  name: nameIsDNSSubdomain,
  status: () => ({}),
  specFields: ['spec'],
  defaults,
  validate,
  validateCreate: (obj) => scheduleTimeZone(obj),
  validateUpdate: (obj, old) => scheduleTimeZone(obj, old),
});
