import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cronJobStrategy } from './batch-cronjob.ts';
import { jobStrategy } from './batch-job.ts';
import { at, clone, messages, runCreate, runUpdate } from './testing.ts';

const job = { metadata: { name: 'pi' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5.34', command: ['perl', '-e', 'print 1'] }] } } } };

test('Job defaults and the generated selector', () => {
  const { obj, errors } = runCreate(jobStrategy, job, { namespace: 'default' });
  assert.deepEqual(messages(errors), []);
  const uid = obj.metadata.uid as string;
  const spec = obj.spec as any;
  assert.equal(spec.completions, 1);
  assert.equal(spec.parallelism, 1);
  assert.equal(spec.backoffLimit, 6);
  assert.equal(spec.completionMode, 'NonIndexed');
  assert.equal(spec.suspend, false);
  assert.equal(spec.manualSelector, false);
  assert.equal(spec.podReplacementPolicy, 'TerminatingOrFailed');
  assert.deepEqual(spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
  const labels = { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': uid, 'job-name': 'pi' };
  assert.deepEqual(spec.template.metadata.labels, labels);
  assert.deepEqual(obj.metadata.labels, labels);
  assert.deepEqual(obj.status, {});
});

test('Job labels come from the template labels the user gave', () => {
  const j = clone(job) as any;
  j.spec.template.metadata = { labels: { app: 'pi' } };
  const { obj } = runCreate(jobStrategy, j, { namespace: 'default' });
  assert.deepEqual(obj.metadata.labels, { app: 'pi' });
});

test('Job restartPolicy must be OnFailure or Never', () => {
  const j = clone(job) as any;
  delete j.spec.template.spec.restartPolicy;
  assert.deepEqual(messages(runCreate(jobStrategy, j, { namespace: 'default' }).errors),
    ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']);
});

test('Job counters and completion modes', () => {
  const j = clone(job) as any;
  j.spec.parallelism = -1;
  j.spec.completionMode = 'Indexed';
  j.spec.completions = undefined;
  const errs = runCreate(jobStrategy, j, { namespace: 'default' }).errors;
  assert.deepEqual(messages(at(errs, 'spec.parallelism')), ['spec.parallelism: Invalid value: -1: must be greater than or equal to 0']);
  assert.deepEqual(messages(at(errs, 'spec.completions')), ['spec.completions: Required value: when completion mode is Indexed']);
});

test('a manual selector must match the template', () => {
  const j = clone(job) as any;
  j.spec.manualSelector = true;
  j.spec.selector = { matchLabels: { app: 'x' } };
  j.spec.template.metadata = { labels: { app: 'y' } };
  assert.deepEqual(messages(runCreate(jobStrategy, j, { namespace: 'default' }).errors),
    ['spec.template.metadata.labels: Invalid value: {"app":"y"}: `selector` does not match template `labels`']);
});

test('Job update: the template is immutable, except scheduling of a suspended job', () => {
  const { obj: old } = runCreate(jobStrategy, job, { namespace: 'default' });
  const next = clone(old) as any;
  next.spec.template.spec.containers[0].image = 'perl:5.36';
  assert.deepEqual(runUpdate(jobStrategy, next, old).errors.map((e) => [e.field, e.type, e.detail]), [['spec.template', 'FieldValueInvalid', 'field is immutable']]);
  const susp = clone(job) as any;
  susp.spec.suspend = true;
  const { obj: sold } = runCreate(jobStrategy, susp, { namespace: 'default' });
  const snext = clone(sold) as any;
  snext.spec.template.spec.nodeSelector = { zone: 'a' };
  assert.deepEqual(runUpdate(jobStrategy, snext, sold).errors, []);
  const comp = clone(old) as any;
  comp.spec.completions = 3;
  assert.deepEqual(messages(runUpdate(jobStrategy, comp, old).errors), ['spec.completions: Invalid value: 3: field is immutable']);
});

const cron = { metadata: { name: 'hello' }, spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: {
  restartPolicy: 'OnFailure', containers: [{ name: 'hello', image: 'busybox:1.36', command: ['date'] }] } } } } } };

test('CronJob defaults', () => {
  const { obj, errors } = runCreate(cronJobStrategy, cron, { namespace: 'default' });
  assert.deepEqual(messages(errors), []);
  const spec = obj.spec as any;
  assert.equal(spec.concurrencyPolicy, 'Allow');
  assert.equal(spec.suspend, false);
  assert.equal(spec.successfulJobsHistoryLimit, 3);
  assert.equal(spec.failedJobsHistoryLimit, 1);
  assert.deepEqual(spec.jobTemplate.metadata, {});
  assert.equal(spec.jobTemplate.spec.backoffLimit, undefined);
  assert.equal(spec.jobTemplate.spec.template.spec.dnsPolicy, 'ClusterFirst');
  assert.deepEqual(cronJobStrategy.specFields, ['spec']);
});

test('CronJob schedule, time zone, names', () => {
  const c = clone(cron) as any;
  c.spec.schedule = '* * * *';
  c.spec.timeZone = 'Mars/Olympus';
  c.spec.concurrencyPolicy = 'Sometimes';
  c.metadata.name = 'x'.repeat(53);
  assert.deepEqual(messages(runCreate(cronJobStrategy, c, { namespace: 'default' }).errors), [
    `metadata.name: Invalid value: "${'x'.repeat(53)}": must be no more than 52 characters`,
    'spec.schedule: Invalid value: "* * * *": expected exactly 5 fields, found 4: [* * * *]',
    'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus',
    'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
  ]);
  const tz = clone(cron) as any;
  tz.spec.schedule = 'TZ=UTC 0 * * * *';
  assert.deepEqual(messages(runCreate(cronJobStrategy, tz, { namespace: 'default' }).errors),
    ['spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']);
  const sel = clone(cron) as any;
  sel.spec.jobTemplate.spec.selector = { matchLabels: { a: 'b' } };
  assert.deepEqual(messages(runCreate(cronJobStrategy, sel, { namespace: 'default' }).errors),
    ['spec.jobTemplate.spec.selector: Invalid value: {"matchLabels":{"a":"b"}}: `selector` will be auto-generated']);
});

test('a generateName job gets its name before the labels are made', () => {
  const j = clone(job) as any;
  delete j.metadata.name;
  j.metadata.generateName = 'pi-';
  const { obj, errors } = runCreate(jobStrategy, j, { namespace: 'default' });
  assert.deepEqual(errors, []);
  assert.match(obj.metadata.name as string, /^pi-[a-z0-9]{5}$/);
  assert.equal((obj.spec as any).template.metadata.labels['job-name'], obj.metadata.name);
});
