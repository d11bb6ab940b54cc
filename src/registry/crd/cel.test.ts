import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import { messages, runCreate } from '../strategies/testing.ts';
import { crdStrategy, toProps, validateCustomResource, validateCustomResourceUpdate } from './index.ts';
import type { CustomResourceContext } from './index.ts';
import { cronTabCRD, schemaOf } from './testing.ts';

const msgs = (errs: readonly FieldError[]) => errs.map(formatFieldError);

const ctx: CustomResourceContext = {
  group: 'stable.example.com', version: 'v1', kind: 'CronTab', namespaced: true,
  schema: toProps({
    type: 'object',
    'x-kubernetes-validations': [{ rule: "self.metadata.name.startsWith('ct-')", message: 'name must start with ct-' }],
    properties: {
      spec: {
        type: 'object',
        'x-kubernetes-validations': [
          { rule: 'self.minReplicas <= self.maxReplicas', message: 'minReplicas must not exceed maxReplicas', fieldPath: '.minReplicas' },
          { rule: 'self.maxReplicas <= 100', reason: 'FieldValueForbidden' },
          { rule: '!has(self.mode) || self.mode == oldSelf.mode', message: 'mode is immutable' },
          { rule: 'self.minReplicas >= 0', messageExpression: "'minReplicas is ' + string(self.minReplicas)" },
        ],
        properties: {
          minReplicas: { type: 'integer' },
          maxReplicas: { type: 'integer' },
          mode: { type: 'string' },
          ratio: { type: 'number', 'x-kubernetes-validations': [{ rule: 'self < 1.5' }] },
          tags: { type: 'array', items: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self.size() <= 3', message: 'tag too long' }] } },
          unknownFn: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self.noSuchFunction()' }] },
        },
      },
    },
  }),
};

function cr(spec: Record<string, unknown>, name = 'ct-a'): Record<string, unknown> {
  return { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name, namespace: 'default' }, spec };
}

test('rules pass, fail with their message, messageExpression, reason and fieldPath', () => {
  assert.deepEqual(msgs(validateCustomResource(cr({ minReplicas: 1, maxReplicas: 3, ratio: 1, tags: ['a'], unknownFn: 'x' }), ctx)), []);
  assert.deepEqual(msgs(validateCustomResource(cr({ minReplicas: 500, maxReplicas: 300 }, 'other'), ctx)), [
    '<nil>: Invalid value: "object": name must start with ct-',
    'spec.minReplicas: Invalid value: "object": minReplicas must not exceed maxReplicas',
    'spec: Forbidden: failed rule: self.maxReplicas <= 100',
  ]);
  assert.deepEqual(msgs(validateCustomResource(cr({ minReplicas: -2, maxReplicas: 1, ratio: 2.5, tags: ['abcd'] }), ctx)), [
    'spec: Invalid value: "object": minReplicas is -2',
    'spec.ratio: Invalid value: 2.5: failed rule: self < 1.5',
    'spec.tags[0]: Invalid value: "abcd": tag too long',
  ]);
});

test('missing fields are evaluation errors; blocking errors stop rules', () => {
  assert.deepEqual(msgs(validateCustomResource(cr({ minReplicas: 1 }), ctx)), [
    'spec: Invalid value: "object": no such key: maxReplicas evaluating rule: minReplicas must not exceed maxReplicas',
    'spec: Invalid value: "object": no such key: maxReplicas evaluating rule: self.maxReplicas <= 100',
  ]);
  assert.deepEqual(msgs(validateCustomResource(cr({ minReplicas: 'one', maxReplicas: 1 }), ctx)), [
    'spec.minReplicas: Invalid value: "string": spec.minReplicas in body must be of type integer: "string"',
    '<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
  ]);
});

test('transition rules see oldSelf on update; unchanged values ratchet', () => {
  const old = cr({ minReplicas: 1, maxReplicas: 2, mode: 'a' });
  assert.deepEqual(msgs(validateCustomResourceUpdate(cr({ minReplicas: 1, maxReplicas: 2, mode: 'b' }), old, ctx)), [
    'spec: Invalid value: "object": mode is immutable',
  ]);
  // Already invalid and unchanged: not reported again.
  const bad = cr({ minReplicas: 1, maxReplicas: 2, ratio: 3 });
  assert.deepEqual(msgs(validateCustomResourceUpdate(cr({ minReplicas: 1, maxReplicas: 2, ratio: 3 }), bad, ctx)), []);
  assert.deepEqual(msgs(validateCustomResourceUpdate(cr({ minReplicas: 1, maxReplicas: 2, ratio: 4 }), bad, ctx)), ['spec.ratio: Invalid value: 4: failed rule: self < 1.5']);
});

test('CRD validation: rules must compile; oldSelf only where values correlate', () => {
  const crd = cronTabCRD();
  const spec = schemaOf(crd).properties.spec;
  spec['x-kubernetes-validations'] = [{ rule: 'self.image +' }, { rule: 'self.image != ""', optionalOldSelf: true }];
  spec.properties.tags = { type: 'array', items: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf' }] } };
  const errs = messages(runCreate(crdStrategy, crd).errors);
  assert.equal(errs.length, 3);
  assert.equal(errs[0], 'spec.validation.openAPIV3Schema.properties[spec].properties[tags].items.x-kubernetes-validations[0].rule: Invalid value: "self == oldSelf": oldSelf cannot be used on the uncorrelatable portion of the schema within spec.validation.openAPIV3Schema.properties[spec].properties[tags]');
  assert.match(errs[1]!, /^spec\.validation\.openAPIV3Schema\.properties\[spec\]\.x-kubernetes-validations\[0\]\.rule: Invalid value: \{"Rule":"self\.image \+",.*\}: compilation failed: ERROR: <input>:1:\d+: /);
  assert.equal(errs[2], 'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[1].optionalOldSelf: Invalid value: true: may not be set if oldSelf is not used in rule');
});

test("Kubernetes' CEL libraries in rules: quantity, url, ip/cidr, format; wrong arguments do not compile", () => {
  const lib: CustomResourceContext = {
    ...ctx,
    schema: toProps({
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          'x-kubernetes-validations': [
            { rule: "!has(self.memory) || quantity(self.memory).isLessThan(quantity('1Gi'))", message: 'memory must be below 1Gi' },
            { rule: "!has(self.endpoint) || (isURL(self.endpoint) && url(self.endpoint).getScheme() == 'https')", message: 'endpoint must be an https URL' },
            { rule: "!has(self.ip) || cidr('10.0.0.0/8').containsIP(self.ip)", message: 'ip must be in 10.0.0.0/8' },
            { rule: "!has(self.label) || !format.dns1123Label().validate(self.label).hasValue()", messageExpression: "format.dns1123Label().validate(self.label).value().join(', ')" },
          ],
          properties: { memory: { type: 'string' }, endpoint: { type: 'string' }, ip: { type: 'string' }, label: { type: 'string' } },
        },
      },
    }),
  };
  assert.deepEqual(msgs(validateCustomResource(cr({ memory: '512Mi', endpoint: 'https://example.com/x', ip: '10.1.2.3', label: 'ok' }), lib)), []);
  assert.deepEqual(msgs(validateCustomResource(cr({ memory: '2Gi', endpoint: 'http://example.com', ip: '192.168.0.1', label: 'Not_OK' }), lib)), [
    'spec: Invalid value: "object": memory must be below 1Gi',
    'spec: Invalid value: "object": endpoint must be an https URL',
    'spec: Invalid value: "object": ip must be in 10.0.0.0/8',
    `spec: Invalid value: "object": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
  ]);
  assert.deepEqual(msgs(validateCustomResource(cr({ memory: 'lots', ip: '10.0.0.01' }), lib)), [
    `spec: Invalid value: "object": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' evaluating rule: memory must be below 1Gi`,
    'spec: Invalid value: "object": IP Address "10.0.0.01" parse error during conversion from string: ParseAddr("10.0.0.01"): IPv4 field has octet with leading zero evaluating rule: ip must be in 10.0.0.0/8',
  ]);
  const crd = cronTabCRD();
  schemaOf(crd).properties.spec['x-kubernetes-validations'] = [{ rule: 'quantity(1).sign() == 1' }];
  const errs = messages(runCreate(crdStrategy, crd).errors);
  assert.equal(errs.length, 1);
  assert.match(errs[0]!, /x-kubernetes-validations\[0\]\.rule: Invalid value: .*: compilation failed: ERROR: <input>:1:9: found no matching overload for 'quantity' applied to '\(int\)'$/);
});

test("values as upstream's CEL sees them: escaped property names, null and unknown fields absent, formatted strings typed", () => {
  const schema = toProps({
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
        'x-kubernetes-validations': [
          { rule: 'self.refs.all(a, self.refs.exists_one(b, a.name == b.name && (has(a.__namespace__) ? has(b.__namespace__) && a.__namespace__ == b.__namespace__ : !has(b.__namespace__))))', message: 'refs must be unique' },
          { rule: "!has(self.extra)", message: 'unknown fields are not visible' },
          { rule: "!has(self.note) || self.note != ''", message: 'a null note is absent' },
          { rule: "!has(self.max__dash__age) || self.max__dash__age < duration('1h')", message: 'max-age must be below an hour' },
          { rule: "!has(self.until) || self.until < timestamp('2030-01-01T00:00:00Z')", message: 'until must be before 2030' },
          { rule: "!has(self.rules) || self.rules.all(r, !has(r.matches[0].path) || r.matches[0].path.startsWith('/'))", message: 'paths must be absolute' },
          { rule: "!has(self.labels) || self.labels.all(k, k != 'bad-key')", message: 'map keys are not escaped' },
        ],
        properties: {
          refs: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, namespace: { type: 'string' } } } },
          note: { type: 'string', nullable: true },
          'max-age': { type: 'string', format: 'duration' },
          until: { type: 'string', format: 'date-time' },
          rules: { type: 'array', items: { type: 'object', properties: { matches: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' } } } } } } },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
    },
  });
  const c: CustomResourceContext = { ...ctx, schema };
  const check = (spec: Record<string, unknown>) => msgs(validateCustomResource(cr(spec), c));
  assert.deepEqual(check({ refs: [{ name: 'a', namespace: 'x' }, { name: 'a', namespace: 'y' }, { name: 'a' }], extra: 1, note: null, 'max-age': '30m', until: '2029-05-01T10:00:00Z', rules: [{ matches: [{ path: '/a' }] }, { matches: [{}] }], labels: { good: 'x' } }), []);
  assert.deepEqual(check({ refs: [{ name: 'a', namespace: 'x' }, { name: 'a', namespace: 'x' }] }), ['spec: Invalid value: "object": refs must be unique']);
  assert.deepEqual(check({ refs: [], 'max-age': '2h', until: '2031-01-01T00:00:00Z', rules: [{ matches: [{ path: 'a' }] }], labels: { 'bad-key': 'x' } }), [
    'spec: Invalid value: "object": max-age must be below an hour',
    'spec: Invalid value: "object": until must be before 2030',
    'spec: Invalid value: "object": paths must be absolute',
    'spec: Invalid value: "object": map keys are not escaped',
  ]);
  assert.deepEqual(check({ refs: [], 'max-age': '1 day' }), ['spec: Invalid value: "object": max-age must be below an hour']);
});
