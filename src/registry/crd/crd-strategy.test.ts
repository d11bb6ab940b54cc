import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { messages, runCreate, runUpdate } from '../strategies/testing.ts';
import { crdStrategy, crdWarnings } from './index.ts';
import { clone, cronTabCRD, schemaOf } from './testing.ts';

function create(crd: KubeObject): string[] {
  return messages(runCreate(crdStrategy, crd).errors);
}

function spec(crd: KubeObject): any {
  return crd.spec as any;
}

test('a valid CRD passes and gets upstream defaults and initial status', () => {
  const r = runCreate(crdStrategy, cronTabCRD());
  assert.deepEqual(messages(r.errors), []);
  assert.deepEqual((r.obj.spec as any).names, { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', shortNames: ['ct'], listKind: 'CronTabList' });
  assert.deepEqual((r.obj.spec as any).conversion, { strategy: 'None' });
  assert.deepEqual(r.obj.status, { acceptedNames: { plural: '', kind: '' }, storedVersions: ['v1'] });
});

test('singular defaults to the lowercased kind; served/storage are written out', () => {
  const crd = cronTabCRD();
  delete spec(crd).names.singular;
  spec(crd).versions.push({ name: 'v1beta1', schema: clone(spec(crd).versions[0].schema) });
  const r = runCreate(crdStrategy, crd);
  assert.equal((r.obj.spec as any).names.singular, 'crontab');
  assert.equal((r.obj.spec as any).versions[1].served, false);
  assert.equal((r.obj.spec as any).versions[1].storage, false);
  assert.deepEqual(messages(r.errors), []);
});

test('name must be <plural>.<group>, group a DNS subdomain with a dot', () => {
  const crd = cronTabCRD();
  crd.metadata.name = 'crontab.stable.example.com';
  assert.deepEqual(create(crd), ['metadata.name: Invalid value: "crontab.stable.example.com": must be spec.names.plural+"."+spec.group']);

  const noDot = cronTabCRD();
  spec(noDot).group = 'example';
  noDot.metadata.name = 'crontabs.example';
  assert.deepEqual(create(noDot), ['spec.group: Invalid value: "example": should be a domain with at least one dot']);

  const bad = cronTabCRD();
  spec(bad).group = 'Example.com';
  bad.metadata.name = 'crontabs.Example.com';
  assert.deepEqual(create(bad), [
    'metadata.name: Invalid value: "crontabs.Example.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
    'spec.group: Invalid value: "Example.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
  ]);

  const missing = cronTabCRD();
  delete spec(missing).group;
  missing.metadata.name = 'crontabs.';
  assert.ok(create(missing).includes('spec.group: Required value'));
});

test('scope is Namespaced or Cluster', () => {
  const crd = cronTabCRD();
  spec(crd).scope = 'Global';
  assert.deepEqual(create(crd), ['spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"']);
  delete spec(crd).scope;
  assert.deepEqual(create(crd), ['spec.scope: Required value']);
});

test('names: DNS-1035 labels, kind mixed case, listKind differs from kind', () => {
  const crd = cronTabCRD();
  spec(crd).names = { plural: 'crontabs', singular: 'Cron_Tab', kind: 'Cron-Tab2_', listKind: 'Cron-Tab2_', shortNames: ['c t'], categories: ['all', '1x'] };
  const label = (v: string) => `a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`;
  assert.deepEqual(create(crd), [
    `spec.names.singular: Invalid value: "Cron_Tab": ${label('')}`,
    `spec.names.kind: Invalid value: "Cron-Tab2_": may have mixed case, but should otherwise match: ${label('')}`,
    `spec.names.listKind: Invalid value: "Cron-Tab2_": may have mixed case, but should otherwise match: ${label('')}`,
    `spec.names.shortNames[0]: Invalid value: "c t": ${label('')}`,
    'spec.names.listKind: Invalid value: "Cron-Tab2_": kind and listKind may not be the same',
    `spec.names.categories[1]: Invalid value: "1x": ${label('')}`,
  ]);
  const noKind = cronTabCRD();
  delete spec(noKind).names.kind;
  assert.deepEqual(create(noKind), ['spec.names.kind: Required value', 'spec.names.listKind: Required value']);
});

test('versions: exactly one storage version, unique DNS-1035 names, schema required', () => {
  const two = cronTabCRD();
  spec(two).versions.push({ ...clone(spec(two).versions[0]), name: 'v2' });
  const errs = create(two);
  assert.equal(errs.length, 2);
  assert.match(errs[0]!, /^spec\.versions: Invalid value: \[.*\]: must have exactly one version marked as storage version$/);
  assert.equal(errs[1], 'status.storedVersions: Invalid value: ["v1"]: must have the storage version v2');

  const none = cronTabCRD();
  spec(none).versions[0].storage = false;
  // The value is upstream's internal struct, printed with Go field names; the schema moved to spec.validation.
  assert.deepEqual(create(none), [
    'spec.versions: Invalid value: [{"Name":"v1","Served":true,"Storage":false,"Deprecated":false,"DeprecationWarning":null,"Schema":null,"Subresources":null,"AdditionalPrinterColumns":null,"SelectableFields":null}]: must have exactly one version marked as storage version',
    'status.storedVersions: Invalid value: null: must have at least one stored version',
  ]);

  const dup = cronTabCRD();
  spec(dup).versions.push({ ...clone(spec(dup).versions[0]), storage: false });
  assert.ok(create(dup).some((e) => e.endsWith(': must contain unique version names')));

  const badName = cronTabCRD();
  spec(badName).versions[0].name = 'V1';
  const label = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
  assert.deepEqual(create(badName), [
    `spec.versions[0].name: Invalid value: "V1": ${label}`,
    `spec.version: Invalid value: "V1": ${label}`,
    'status.storedVersions[0]: Invalid value: "V1": missing from spec.versions; V1 was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in V1 and removes V1 from status.storedVersions',
  ].slice(0, 2));

  const noSchema = cronTabCRD();
  delete spec(noSchema).versions[0].schema;
  assert.deepEqual(create(noSchema), ['spec.versions[0].schema.openAPIV3Schema: Required value']);
});

test('identical schemas are validated at spec.validation, differing ones per version', () => {
  const same = cronTabCRD();
  spec(same).versions.push({ ...clone(spec(same).versions[0]), name: 'v2', storage: false });
  schemaOf(same, 0).properties.spec.properties.foo = { description: 'no type' };
  schemaOf(same, 1).properties.spec.properties.foo = { description: 'no type' };
  assert.deepEqual(create(same), ['spec.validation.openAPIV3Schema.properties[spec].properties[foo].type: Required value: must not be empty for specified object fields']);

  delete schemaOf(same, 1).properties.spec.properties.foo;
  assert.deepEqual(create(same), ['spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[foo].type: Required value: must not be empty for specified object fields']);
});

test('subresources: scale paths under .spec and .status', () => {
  const crd = cronTabCRD();
  spec(crd).versions[0].subresources = { status: {}, scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: '.spec.replicas', labelSelectorPath: '.metadata.labels' } };
  assert.deepEqual(create(crd), [
    'spec.subresources.scale.specReplicasPath: Invalid value: "spec.replicas": must be a simple json path starting with .',
    'spec.subresources.scale.statusReplicasPath: Invalid value: ".spec.replicas": should be a json path under .status',
    'spec.subresources.scale.labelSelectorPath: Invalid value: ".metadata.labels": should be a json path under either .spec or .status',
  ]);
  spec(crd).versions[0].subresources = { scale: { statusReplicasPath: '.status.replicas' } };
  assert.deepEqual(create(crd), ['spec.subresources.scale.specReplicasPath: Required value']);
});

test('additionalPrinterColumns: type, format, JSONPath', () => {
  const crd = cronTabCRD();
  spec(crd).versions[0].additionalPrinterColumns = [
    { name: 'A', type: 'float', jsonPath: '.spec.a' },
    { name: 'B', type: 'string', format: 'uuid', jsonPath: 'spec.b' },
    { name: '', type: '', jsonPath: '' },
  ];
  assert.deepEqual(create(crd), [
    'spec.additionalPrinterColumns[0].type: Invalid value: "float": must be one of boolean,date,integer,number,string',
    'spec.additionalPrinterColumns[1].format: Invalid value: "uuid": must be one of byte,date,date-time,double,float,int32,int64,password',
    'spec.additionalPrinterColumns[1].JSONPath: Invalid value: "spec.b": must be a simple json path starting with .',
    'spec.additionalPrinterColumns[2].name: Required value',
    'spec.additionalPrinterColumns[2].type: Required value: must be one of boolean,date,integer,number,string',
    'spec.additionalPrinterColumns[2].JSONPath: Required value',
  ]);
});

test('preserveUnknownFields must be false in v1', () => {
  const crd = cronTabCRD();
  spec(crd).preserveUnknownFields = true;
  assert.deepEqual(create(crd), ['spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead']);
  schemaOf(crd).properties.spec.properties.replicas.default = 1;
  assert.deepEqual(create(crd), [
    'spec.preserveUnknownFields: Invalid value: true: must be false in order to use defaults in the schema',
    'spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead',
  ]);
});

test('with the status subresource only some keywords are allowed at the root', () => {
  const crd = cronTabCRD();
  spec(crd).versions[0].subresources = { status: {} };
  schemaOf(crd).nullable = true;
  const nullable = create(crd);
  // Nullable is not among the fields allowed at the root either.
  assert.equal(nullable.length, 2);
  assert.match(nullable[0]!, /^spec\.validation\.openAPIV3Schema: Invalid value: \{"ID":"","Schema":"","Ref":null,"Description":"","Type":"object","Nullable":true,.*\}: only \[Description .*\] fields are allowed/);
  assert.equal(nullable[1], 'spec.validation.openAPIV3Schema.nullable: Forbidden: nullable cannot be true at the root');
  delete schemaOf(crd).nullable;
  schemaOf(crd).anyOf = [{ required: ['spec'] }];
  const errs = create(crd);
  assert.equal(errs.length, 1);
  assert.match(errs[0]!, /^spec\.validation\.openAPIV3Schema: Invalid value: \{.*\}: only \[Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields XValidations\] fields are allowed at the root of the schema if the status subresource is enabled$/);
});

test('webhook conversion: client config and review versions (internal paths)', () => {
  const crd = cronTabCRD();
  spec(crd).conversion = { strategy: 'Webhook', webhook: { conversionReviewVersions: ['v2'] } };
  assert.deepEqual(create(crd), [
    'spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook',
    'spec.conversion.conversionReviewVersions: Invalid value: ["v2"]: must include at least one of v1, v1beta1',
  ]);
  spec(crd).conversion = { strategy: 'Webhook', webhook: { conversionReviewVersions: ['v1'], clientConfig: { url: 'http://x/convert?a=1' } } };
  assert.deepEqual(create(crd), [
    'spec.conversion.webhookClientConfig.url: Invalid value: "http": \'https\' is the only allowed URL scheme; desired format: https://host[/path]',
    'spec.conversion.webhookClientConfig.url: Invalid value: "a=1": query parameters are not permitted in the URL',
  ]);
  spec(crd).conversion = { strategy: 'None', webhook: { conversionReviewVersions: ['v1'], clientConfig: { url: 'https://x' } } };
  assert.deepEqual(create(crd), [
    'spec.conversion.webhookClientConfig: Forbidden: should not be set when strategy is not set to Webhook',
    'spec.conversion.conversionReviewVersions: Forbidden: should not be set when strategy is not set to Webhook',
  ]);
  spec(crd).conversion = { strategy: 'Sometimes' };
  assert.deepEqual(create(crd), ['spec.conversion.strategy: Unsupported value: "Sometimes": supported values: "None", "Webhook"']);
});

test('protected groups need the api-approved annotation', () => {
  const crd = cronTabCRD();
  spec(crd).group = 'stable.k8s.io';
  crd.metadata.name = 'crontabs.stable.k8s.io';
  assert.deepEqual(create(crd), ['metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111']);
  crd.metadata.annotations = { 'api-approved.kubernetes.io': 'yes' };
  assert.deepEqual(create(crd), ['metadata.annotations[api-approved.kubernetes.io]: Invalid value: "yes": protected groups must have approval annotation "api-approved.kubernetes.io" with either a URL or a reason starting with "unapproved", see https://github.com/kubernetes/enhancements/pull/1111']);
  crd.metadata.annotations = { 'api-approved.kubernetes.io': 'https://github.com/kubernetes/kubernetes/pull/1' };
  assert.deepEqual(create(crd), []);
  crd.metadata.annotations = { 'api-approved.kubernetes.io': 'unapproved, experimental' };
  assert.deepEqual(create(crd), []);
});

test('x-kubernetes-validations: static rule checks', () => {
  const crd = cronTabCRD();
  schemaOf(crd).properties.spec['x-kubernetes-validations'] = [
    { rule: ' ' },
    { rule: 'self.a ==\n self.b' },
    { rule: 'true', message: 'a\nb' },
    { rule: 'true', reason: 'FieldValueBogus', fieldPath: '.nope' },
  ];
  assert.deepEqual(create(crd), [
    'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Required value: rule is not specified',
    'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[1].message: Required value: message must be specified if rule contains line breaks',
    'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[2].message: Invalid value: "a\\nb": must not contain line breaks',
    'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[3].reason: Unsupported value: "FieldValueBogus": supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"',
    'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[3].fieldPath: Invalid value: ".nope": must be a valid path',
  ]);
});

test('selectable fields: valid paths to scalars, at most 8', () => {
  const crd = cronTabCRD();
  spec(crd).versions[0].selectableFields = [{ jsonPath: '.spec.image' }, { jsonPath: '.spec.nope' }, { jsonPath: '.spec' }, { jsonPath: '.spec.image' }];
  assert.deepEqual(create(crd), [
    'spec.selectableFields[1].jsonPath: Invalid value: ".spec.nope": is an invalid path: does not refer to a valid field',
    'spec.selectableFields[2].jsonPath: Invalid value: ".spec": must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.',
    'spec.selectableFields[3].jsonPath: Duplicate value: ".spec.image"',
  ]);
});

test('update: group and plural are immutable; scope and kind once established', () => {
  const created = runCreate(crdStrategy, cronTabCRD()).obj;
  const next = clone(created);
  spec(next).names.plural = 'crontabz';
  next.metadata.name = 'crontabz.stable.example.com';
  spec(next).scope = 'Cluster';
  const r = runUpdate(crdStrategy, next, created);
  assert.ok(messages(r.errors).includes('spec.names.plural: Invalid value: "crontabz": field is immutable'));
  assert.ok(!messages(r.errors).some((e) => e.startsWith('spec.scope')));

  const established = clone(created);
  (established.status as any).conditions = [{ type: 'Established', status: 'True' }];
  const kind = clone(established);
  spec(kind).names.kind = 'CronJob2';
  spec(kind).names.listKind = 'CronJob2List';
  spec(kind).scope = 'Cluster';
  assert.deepEqual(messages(runUpdate(crdStrategy, kind, established).errors), [
    'spec.scope: Invalid value: "Cluster": field is immutable',
    'spec.names.kind: Invalid value: "CronJob2": field is immutable',
  ]);
});

test('update: generation follows spec changes; a new storage version is recorded', () => {
  const created = runCreate(crdStrategy, cronTabCRD()).obj;
  const same = runUpdate(crdStrategy, clone(created), created);
  assert.equal(same.obj.metadata.generation, 1);
  const next = clone(created);
  spec(next).versions.push({ ...clone(spec(next).versions[0]), name: 'v2', storage: true });
  spec(next).versions[0].storage = false;
  const r = runUpdate(crdStrategy, next, created);
  assert.deepEqual(messages(r.errors), []);
  assert.equal(r.obj.metadata.generation, 2);
  assert.deepEqual((r.obj.status as any).storedVersions, ['v1', 'v2']);
});

test('update: a stored version may not disappear from spec.versions', () => {
  const created = runCreate(crdStrategy, cronTabCRD()).obj;
  (created.status as any).storedVersions = ['v1beta1', 'v1'];
  const r = runUpdate(crdStrategy, clone(created), created);
  assert.deepEqual(messages(r.errors), [
    'status.storedVersions[0]: Invalid value: "v1beta1": missing from spec.versions; v1beta1 was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in v1beta1 and removes v1beta1 from status.storedVersions',
  ]);
});

test('warnings: unrecognized formats and sets of objects', () => {
  const crd = cronTabCRD();
  schemaOf(crd).properties.spec.properties.image.format = 'docker-image';
  schemaOf(crd).properties.spec.properties.tags = { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'object', 'x-kubernetes-map-type': 'atomic' } };
  assert.deepEqual(crdWarnings(crd), [
    'unrecognized format "docker-image"',
    'x-kubernetes-list-type: set for items of type "object" is not supported by server-side apply or CEL validation rules',
  ]);
  assert.deepEqual(crdWarnings(crd, crd), []);
});
