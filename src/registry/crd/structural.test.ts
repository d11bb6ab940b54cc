import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { messages, runCreate } from '../strategies/testing.ts';
import { crdStrategy, isStructural, toProps } from './index.ts';
import { cronTabCRD, schemaOf } from './testing.ts';

const S = 'spec.validation.openAPIV3Schema';

/** Errors for a CRD whose one version has this schema. */
function errorsFor(schema: Record<string, unknown>): string[] {
  const crd = cronTabCRD();
  (crd.spec as any).versions[0].schema.openAPIV3Schema = schema;
  return messages(runCreate(crdStrategy, crd).errors);
}

function withSpec(props: Record<string, unknown>): Record<string, unknown> {
  return { type: 'object', properties: { spec: { type: 'object', properties: props } } };
}

test('type is required at the root, for fields and for items', () => {
  assert.deepEqual(errorsFor({ properties: { spec: { type: 'object' } } }), [`${S}.type: Required value: must not be empty at the root`]);
  assert.deepEqual(errorsFor(withSpec({ a: { description: 'x' }, b: { type: 'array', items: { description: 'y' } }, c: { type: 'array' } })), [
    `${S}.properties[spec].properties[a].type: Required value: must not be empty for specified object fields`,
    `${S}.properties[spec].properties[b].items.type: Required value: must not be empty for specified array items`,
    `${S}.properties[spec].properties[c].items: Required value: must be specified`,
  ]);
  assert.deepEqual(errorsFor({ type: 'array', items: { type: 'string' } }), [`${S}.type: Invalid value: "array": must be object at the root`]);
});

test('unknown types, null type, and forbidden keywords', () => {
  assert.deepEqual(errorsFor(withSpec({ a: { type: 'int' } })), [
    `${S}.properties[spec].properties[a].type: Unsupported value: "int": supported values: "array", "boolean", "integer", "number", "object", "string"`,
  ]);
  assert.deepEqual(errorsFor(withSpec({ a: { type: 'string', uniqueItems: true } })), [
    `${S}.properties[spec].properties[a].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic`,
  ]);
  assert.deepEqual(errorsFor(withSpec({ a: { type: 'object', properties: { x: { type: 'string' } }, additionalProperties: { type: 'string' } } })), [
    `${S}.properties[spec].properties[a].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
  ]);
  assert.deepEqual(errorsFor({ type: 'object', additionalProperties: { type: 'string' } }), [`${S}.additionalProperties: Forbidden: must not be used at the root`]);
  assert.deepEqual(errorsFor(withSpec({ a: { $ref: '#/definitions/x' } })), [`${S}.properties[spec].properties[a].$ref: Forbidden: $ref is not supported`]);
});

test('value validations may restrict but not specify', () => {
  assert.deepEqual(errorsFor(withSpec({
    a: { type: 'string', anyOf: [{ type: 'string', default: 'x', description: 'd' }, { nullable: true, pattern: '[' }] },
  })), [
    `${S}.properties[spec].properties[a].anyOf[0].default: Forbidden: must be undefined to be structural`,
    `${S}.properties[spec].properties[a].anyOf[0].description: Forbidden: must be empty to be structural`,
    `${S}.properties[spec].properties[a].anyOf[0].type: Forbidden: must be empty to be structural`,
    `${S}.properties[spec].properties[a].anyOf[1].nullable: Forbidden: must be false to be structural`,
    `${S}.properties[spec].properties[a].anyOf[1].pattern: Invalid value: "[": must be a valid regular expression, but isn't: error parsing regexp: missing closing ]: \`[\``,
  ]);
  // Completeness: what a value validation names must be specified.
  assert.deepEqual(errorsFor({ type: 'object', properties: { spec: { type: 'object' } }, anyOf: [{ properties: { spec: { properties: { x: { minLength: 1 } } } } }] }), [
    `${S}.properties[spec].properties[x]: Required value: because it is defined in ${S}.anyOf[0].properties[spec].properties[x]`,
  ]);
  assert.deepEqual(errorsFor(withSpec({ a: { type: 'object', allOf: [{ properties: { metadata: {} } }] } })), [
    `${S}.properties[spec].properties[a].allOf[0].properties[metadata]: Forbidden: must not be specified in a nested context`,
  ]);
});

test('x-kubernetes-int-or-string: the two anyOf forms are allowed', () => {
  const anyOf = [{ type: 'integer' }, { type: 'string' }];
  assert.deepEqual(errorsFor(withSpec({ port: { 'x-kubernetes-int-or-string': true, anyOf } })), []);
  assert.deepEqual(errorsFor(withSpec({ port: { 'x-kubernetes-int-or-string': true, allOf: [{ anyOf }, { pattern: '^[0-9]+$' }] } })), []);
  assert.deepEqual(errorsFor(withSpec({ port: { 'x-kubernetes-int-or-string': true, 'x-kubernetes-preserve-unknown-fields': true } })), [
    `${S}.properties[spec].properties[port].x-kubernetes-preserve-unknown-fields: Invalid value: true: must be false if x-kubernetes-int-or-string is true`,
  ]);
  assert.deepEqual(errorsFor(withSpec({ port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'boolean' }] } })), [
    `${S}.properties[spec].properties[port].anyOf[0].type: Forbidden: must be empty to be structural`,
    `${S}.properties[spec].properties[port].anyOf[1].type: Forbidden: must be empty to be structural`,
  ]);
});

test('x-kubernetes-preserve-unknown-fields must be true or absent', () => {
  assert.deepEqual(errorsFor(withSpec({ a: { type: 'object', 'x-kubernetes-preserve-unknown-fields': false } })), [
    `${S}.properties[spec].properties[a].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined`,
  ]);
  // A field with preserve-unknown-fields needs no type.
  assert.deepEqual(errorsFor(withSpec({ a: { 'x-kubernetes-preserve-unknown-fields': true } })), []);
});

test('x-kubernetes-embedded-resource: an object with properties or preserve-unknown-fields', () => {
  assert.deepEqual(errorsFor(withSpec({ t: { type: 'object', 'x-kubernetes-embedded-resource': true } })), [
    `${S}.properties[spec].properties[t].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields`,
  ]);
  assert.deepEqual(errorsFor(withSpec({ t: { type: 'string', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } })), [
    `${S}.properties[spec].properties[t].type: Invalid value: "string": must be object if x-kubernetes-embedded-resource is true`,
  ]);
  assert.deepEqual(errorsFor(withSpec({ t: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } })), []);
  assert.deepEqual(errorsFor(withSpec({ t: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { kind: { type: 'integer' } } } })), [
    `${S}.properties[spec].properties[t].properties[kind].type: Invalid value: "integer": must be string`,
  ]);
  assert.deepEqual(errorsFor({ type: 'object', properties: { metadata: { type: 'object', properties: { labels: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } } } } }), [
    `${S}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`,
    `${S}.properties[metadata].properties[labels].x-kubernetes-embedded-resource: Forbidden: must not be used inside of resource meta`,
  ]);
});

test('metadata at the root: only name and generateName constraints', () => {
  assert.deepEqual(errorsFor({ type: 'object', properties: { metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 10 } } } } }), []);
  assert.deepEqual(errorsFor({ type: 'object', properties: { metadata: { type: 'object', properties: { labels: { type: 'object' } } } } }), [
    `${S}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`,
  ]);
  assert.deepEqual(errorsFor({ type: 'object', properties: { metadata: { type: 'string' } } }), [
    `${S}.properties[metadata].type: Invalid value: "string": must be object`,
  ]);
  assert.deepEqual(errorsFor({ type: 'object', properties: { metadata: { type: 'object', properties: { name: { type: 'string', default: 'x' } } } } }), [
    `${S}.properties[metadata].properties[name].default: Forbidden: must not be set in top-level metadata`,
  ]);
});

test('x-kubernetes-list-type and list-map-keys', () => {
  assert.deepEqual(errorsFor(withSpec({ a: { type: 'object', 'x-kubernetes-list-type': 'set' } })), [
    `${S}.properties[spec].properties[a].type: Invalid value: "object": must be array if x-kubernetes-list-type is specified`,
  ]);
  assert.deepEqual(errorsFor(withSpec({ a: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'bag' } })), [
    `${S}.properties[spec].properties[a].x-kubernetes-list-type: Unsupported value: "bag": supported values: "atomic", "set", "map"`,
  ]);
  assert.deepEqual(errorsFor(withSpec({ a: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } }, 'x-kubernetes-list-type': 'map' } })), [
    `${S}.properties[spec].properties[a].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`,
  ]);
  assert.deepEqual(errorsFor(withSpec({ a: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, o: { type: 'object' } } }, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name', 'port', 'o'] } })), [
    `${S}.properties[spec].properties[a].x-kubernetes-list-map-keys: Invalid value: ["name","port","o"]: entries must all be names of item properties`,
    `${S}.properties[spec].properties[a].items.properties[o].type: Invalid value: "object": must be a scalar type if parent array's x-kubernetes-list-type is map`,
    `${S}.properties[spec].properties[a].items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property`,
    `${S}.properties[spec].properties[a].items.properties[o].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property`,
  ]);
  assert.deepEqual(errorsFor(withSpec({ a: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-map-keys': ['name'] } })), [
    `${S}.properties[spec].properties[a].x-kubernetes-list-type: Required value: must be map if x-kubernetes-list-map-keys is non-empty`,
  ]);
  assert.deepEqual(errorsFor(withSpec({ a: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'object' } } })), [
    `${S}.properties[spec].properties[a].items.x-kubernetes-map-type: Invalid value: null: must be atomic as item of a list with x-kubernetes-list-type=set`,
  ]);
  assert.deepEqual(errorsFor(withSpec({ a: { type: 'string', 'x-kubernetes-map-type': 'granular' } })), [
    `${S}.properties[spec].properties[a].type: Invalid value: "string": must be object if x-kubernetes-map-type is specified`,
  ]);
});

test('defaults must be valid and pruned; none in top-level metadata', () => {
  assert.deepEqual(errorsFor(withSpec({ replicas: { type: 'integer', default: 'two' } })), [
    `${S}.properties[spec].properties[replicas].default: Invalid value: "string": ${''} in body must be of type integer: "string"`,
  ]);
  assert.deepEqual(errorsFor(withSpec({ o: { type: 'object', properties: { a: { type: 'string' } }, default: { a: 'x', b: 'y' } } })), [
    `${S}.properties[spec].properties[o].default: Invalid value: {"a":"x","b":"y"}: must not have unknown fields`,
  ]);
  assert.deepEqual(errorsFor(withSpec({ o: { type: 'object', properties: { a: { type: 'string', maxLength: 1 } }, default: { a: 'xyz' } } })), [
    `${S}.properties[spec].properties[o].default.a: Too long: may not be more than 1 byte`,
  ]);
  assert.deepEqual(errorsFor({ type: 'object', properties: { kind: { type: 'string', default: 'X' } } }), [
    `${S}.properties[kind].default: Forbidden: must not be set in top-level kind`,
  ]);
  assert.deepEqual(errorsFor(withSpec({ t: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true, default: { kind: 'Pod' } } })), [
    `${S}.properties[spec].properties[t].default.apiVersion: Required value`,
  ]);
});

test('structural errors come sorted; a pure schema check is available', () => {
  const errs = errorsFor(withSpec({ z: {}, a: {} }));
  assert.deepEqual(errs, [
    `${S}.properties[spec].properties[a].type: Required value: must not be empty for specified object fields`,
    `${S}.properties[spec].properties[z].type: Required value: must not be empty for specified object fields`,
  ]);
  assert.equal(isStructural(toProps({ type: 'object', properties: { a: { type: 'string' } } })), true);
  assert.equal(isStructural(toProps({ type: 'object', properties: { a: {} } })), false);
});

test('$schema is refused once nothing else is wrong', () => {
  const crd: KubeObject = cronTabCRD();
  schemaOf(crd).$schema = 'http://json-schema.org/draft-04/schema#';
  assert.deepEqual(messages(runCreate(crdStrategy, crd).errors), [`${S}: Invalid value: "": OpenAPIV3Schema 'schema' is not supported`]);
});
